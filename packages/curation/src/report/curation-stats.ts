import type { RowDecision } from "../rows/row-decision";

/** Rows in and out of one stage, and why the others left. */
export interface StageStats {
  name: string;
  rowsIn: number;
  rowsOut: number;
  rejected: Record<string, number>;
  errors: Record<string, number>;
}

export interface RejectionExample {
  index: number;
  id: string;
  detail: string;
}

/** Everything the report shows, gathered from the decisions in row order. */
export interface CurationStats {
  rowsIn: number;
  kept: number;
  rejected: number;
  errors: number;
  stages: StageStats[];
  /** Up to N examples per `stage/reason`. */
  examples: Record<string, RejectionExample[]>;
  /** Values behind the histograms: necessity pass rates, mixed success rates, judge scores. */
  passK: number[];
  mixedSuccessRate: number[];
  judgeScores: Record<string, number[]>;
}

/** Collects decisions (in row order) into report statistics. */
export class StatsCollector {
  private readonly stats: CurationStats;

  constructor(
    readonly stageNames: readonly string[],
    private readonly examplesPerReason: number,
  ) {
    this.stats = {
      rowsIn: 0,
      kept: 0,
      rejected: 0,
      errors: 0,
      stages: stageNames.map((name) => ({ name, rowsIn: 0, rowsOut: 0, rejected: {}, errors: {} })),
      examples: {},
      passK: [],
      mixedSuccessRate: [],
      judgeScores: {},
    };
  }

  add(decision: RowDecision): void {
    const stats = this.stats;
    stats.rowsIn++;
    if (decision.decision === "keep") stats.kept++;
    else if (decision.decision === "reject") stats.rejected++;
    else stats.errors++;
    const last =
      decision.stage === undefined ? this.stageNames.length : this.stageNames.indexOf(decision.stage);
    for (const [i, stage] of stats.stages.entries()) {
      if (i > last) break;
      stage.rowsIn++;
      if (i < last) stage.rowsOut++;
    }
    if (decision.decision !== "keep") {
      const reason = decision.reason ?? "unknown";
      const stage = stats.stages[last] ?? stats.stages[0];
      if (stage !== undefined) {
        const counts = decision.decision === "error" ? stage.errors : stage.rejected;
        counts[reason] = (counts[reason] ?? 0) + 1;
      }
      const key = `${decision.stage ?? "input"}/${reason}`;
      const list = stats.examples[key] ?? [];
      stats.examples[key] = list;
      if (list.length < this.examplesPerReason) {
        list.push({ index: decision.index, id: decision.id, detail: decision.detail ?? "" });
      }
    }
    const notes = decision.annotations;
    if (notes === undefined) return;
    if (typeof notes.passK === "number") stats.passK.push(notes.passK);
    if (typeof notes.mixedSuccessRate === "number") stats.mixedSuccessRate.push(notes.mixedSuccessRate);
    const judge = notes.judge;
    if (typeof judge === "object" && judge !== null) {
      for (const [name, value] of Object.entries(judge)) {
        if (typeof value !== "number") continue;
        const values = stats.judgeScores[name] ?? [];
        stats.judgeScores[name] = values;
        values.push(value);
      }
    }
  }

  result(): CurationStats {
    return this.stats;
  }
}
