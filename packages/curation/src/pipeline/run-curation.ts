import { setMaxListeners } from "node:events";
import { dirname, join, resolve } from "node:path";
import {
  type InfrastructureCounts,
  InfrastructureError,
  InfrastructureFailures,
  type InfrastructureService,
  type InfrastructureStop,
} from "@hdpo/agent-loop";
import { CurationError } from "../curation-error";
import { Journal } from "../journal/journal";
import type { CurationStats } from "../report/curation-stats";
import { writeReport } from "../report/write-report";
import { type CurationRow, rowLabel } from "../rows/curation-row";
import { openInput } from "../rows/open-input";
import type { Annotations, RowDecision } from "../rows/row-decision";
import { STAGE_NAMES, type Stage, type StageContext } from "../stages/stage";
import { Limiter } from "./limiter";
import type { CurationProgress } from "./progress";
import { writeOutputs } from "./write-outputs";

/** Options of {@link runCuration}. */
export interface CurationOptions {
  /** JSONL (Task or Trajectory rows) or reference-schema Parquet. */
  input: string;
  /** Kept rows, in the input's format. */
  output: string;
  /** The filters; they run in the canonical order hygiene, reexec, necessity, mixed, judge. */
  stages: readonly Stage[];
  /** Rejected rows with stage and reason; default `rejected.jsonl` beside the output. */
  rejected?: string;
  /** Where report.md and report.html go; no report without it. */
  reportDir?: string;
  /** The resume journal; default `<output>.journal`. */
  journal?: string;
  /** Options that change decisions, stored in the journal so a resume cannot mix settings. */
  settings?: Record<string, unknown>;
  /** Rows in flight at most (bounds memory); default 2 × the sum of the stages' concurrency, at least 4. */
  window?: number;
  /** Decide rows again that ended in an error in an earlier run. */
  retryErrors?: boolean;
  /** Examples per rejection reason in the report. Default 5. */
  examplesPerReason?: number;
  /** Stops reading; rows in flight finish (those that end in an error are left for the next run); resolves with `completed: false`. */
  signal?: AbortSignal;
  onProgress?: (progress: CurationProgress) => void;
  /** Milliseconds between progress reports. Default 1000. */
  progressIntervalMs?: number;
  /**
   * Rows in a row that one service (model endpoint, judge) may fail before the run stops; default 5. Such rows are
   * never rejected nor journaled: the next run decides them.
   */
  maxInfraFailures?: number;
}

/** What a run did. */
export interface CurationResult {
  /** False when aborted: run again with the same options to resume. */
  completed: boolean;
  /** Rows decided by this run (rows finished earlier are skipped). */
  processed: number;
  /** Rows that were already in the journal. */
  resumed: number;
  output: string;
  rejected: string;
  journal: string;
  report?: { markdown: string; html: string };
  stats?: CurationStats;
  /** Rows this run could not decide because a service failed, by service; left for the next run. */
  notScored: InfrastructureCounts;
  /** Set when one service failed `maxInfraFailures` rows in a row and the run stopped reading. */
  infrastructureStop?: InfrastructureStop;
}

/**
 * Streams the input through the stages and writes the kept rows, the rejected rows and the report. Every decision
 * goes to an append-only journal first; the outputs are rebuilt from the journal and the input once every row is
 * decided, so a run killed at any point and started again with the same options decides each row once and writes
 * what an uninterrupted run writes. A row that a failing service (the model endpoint, the judge) kept from being
 * decided is neither kept nor rejected: it is counted in `notScored` and left undecided, so the next run decides
 * it; once one service has failed `maxInfraFailures` rows in a row, the rows in flight are abandoned, no more are
 * read, and the run resolves with `completed: false` and `infrastructureStop` set.
 * @throws CurationError for unreadable input or a journal written with other options.
 */
export async function runCuration(options: CurationOptions): Promise<CurationResult> {
  if (options.stages.length === 0) throw new CurationError("runCuration: give at least one stage (filter).");
  const stages = [...options.stages].sort(
    (a, b) => STAGE_NAMES.indexOf(a.name) - STAGE_NAMES.indexOf(b.name),
  );
  const names = stages.map((stage) => stage.name);
  if (new Set(names).size !== names.length)
    throw new CurationError(`runCuration: a filter is given twice (${names.join(",")}).`);
  const input = await openInput(options.input);
  const output = resolve(options.output);
  if (output === resolve(options.input)) throw new CurationError("--output must differ from --input.");
  const rejected = options.rejected ?? join(dirname(output), "rejected.jsonl");
  const journalPath = options.journal ?? `${output}.journal`;
  const journal = Journal.open(
    journalPath,
    {
      kind: "hdpo-curate-journal",
      version: 1,
      input: resolve(options.input),
      rows: input.size,
      filters: names,
      settings: options.settings ?? {},
    },
    { retryErrors: options.retryErrors ?? false },
  );
  const resumed = journal.state.finished;
  const infrastructure = new InfrastructureFailures(options.maxInfraFailures);
  // Aborted when a service keeps failing, so the rows in flight stop waiting on it.
  const infraStop = new AbortController();
  const signal =
    options.signal === undefined ? infraStop.signal : AbortSignal.any([options.signal, infraStop.signal]);
  const context: StageContext = { baseDir: dirname(resolve(options.input)), signal };
  setMaxListeners(1000, signal);
  if (options.signal !== undefined) setMaxListeners(1000, options.signal);
  try {
    // Order-dependent stages (duplicates) re-learn the finished rows before deciding any new one.
    if (resumed > 0 && stages.some((stage) => stage.restore !== undefined)) {
      for await (const row of input.rows()) {
        const decision = journal.state.status[row.index] === 0 ? undefined : journal.read(row.index);
        if (decision !== undefined) for (const stage of stages) stage.restore?.(row, decision);
      }
    }
    const processed = await decideRows(input.rows(), stages, journal, context, options, input.size, {
      failures: infrastructure,
      stop: infraStop,
    });
    if (signal.aborted || journal.state.finished < input.size) {
      return {
        completed: false,
        processed,
        resumed,
        output,
        rejected,
        journal: journalPath,
        notScored: infrastructure.counts(),
        ...(infrastructure.stop === undefined ? {} : { infrastructureStop: infrastructure.stop }),
      };
    }
    journal.flush();
    const stats = await writeOutputs({
      input,
      output,
      rejected,
      journal,
      stageNames: names,
      examplesPerReason: options.examplesPerReason ?? 5,
    });
    const result: CurationResult = {
      completed: true,
      processed,
      resumed,
      output,
      rejected,
      journal: journalPath,
      stats,
      notScored: infrastructure.counts(),
    };
    if (options.reportDir !== undefined) {
      result.report = await writeReport(options.reportDir, stats, { input: options.input, output, rejected });
    }
    return result;
  } finally {
    journal.close();
    await Promise.all(stages.map((stage) => stage.close?.()));
  }
}

/** The run's infrastructure rule and the switch that stops it. */
interface InfrastructureWatch {
  failures: InfrastructureFailures;
  stop: AbortController;
}

async function decideRows(
  rows: AsyncIterable<CurationRow>,
  stages: readonly Stage[],
  journal: Journal,
  context: StageContext,
  options: CurationOptions,
  total: number,
  infrastructure: InfrastructureWatch,
): Promise<number> {
  const ordered = stages.filter((stage) => stage.ordered);
  const parallel = stages.filter((stage) => !stage.ordered);
  if (stages.findIndex((stage) => !stage.ordered) < ordered.length - 1 && parallel.length > 0) {
    throw new CurationError("runCuration: order-dependent stages must come first.");
  }
  const limiters = new Map(parallel.map((stage) => [stage, new Limiter(stage.concurrency)]));
  const window =
    options.window ?? Math.max(4, 2 * parallel.reduce((sum, stage) => sum + stage.concurrency, 0));
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const counts = { kept: 0, rejected: 0, errors: 0 };
  for (let i = 0; i < total; i++) {
    const status = journal.state.status[i];
    if (status === 1) counts.kept++;
    else if (status === 2) counts.rejected++;
    else if (status === 3) counts.errors++;
  }
  let processed = 0;
  const report = () => {
    if (options.onProgress === undefined) return;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? processed / seconds : 0;
    const left = total - journal.state.finished;
    options.onProgress({
      done: journal.state.finished,
      total,
      ...counts,
      rowsPerSecond: rate,
      etaSeconds: processed > 0 && rate > 0 ? left / rate : undefined,
    });
  };
  const ticker = setInterval(report, options.progressIntervalMs ?? 1000);
  const record = (decision: RowDecision, used: ReadonlySet<InfrastructureService>) => {
    infrastructure.failures.succeeded(used);
    // After an abort, an error may only mean "cut short": such rows are decided again next run. Rows that finished
    // normally are journaled, so a graceful stop decides nothing twice.
    if (context.signal?.aborted && decision.decision === "error") return;
    journal.append(decision);
    processed++;
    if (decision.decision === "keep") counts.kept++;
    else if (decision.decision === "reject") counts.rejected++;
    else counts.errors++;
  };
  // A service that failed leaves the row undecided (not journaled): the next run decides it.
  const outage = (error: unknown) => {
    if (!(error instanceof InfrastructureError)) throw error;
    if (infrastructure.failures.failed(error)) infrastructure.stop.abort();
  };
  try {
    for await (const row of rows) {
      if (context.signal?.aborted) break;
      if (row.index >= total)
        throw new CurationError(`the input grew while it was read (row ${row.index + 1} of ${total}).`);
      if (journal.state.status[row.index] !== 0) continue;
      const annotations: Annotations = {};
      const used = new Set<InfrastructureService>();
      let early: RowDecision | undefined;
      try {
        for (const stage of ordered) {
          const decision = await runStage(stage, row, context);
          for (const service of stage.services ?? []) used.add(service);
          Object.assign(annotations, decision.annotations);
          if (!decision.keep) {
            early = rowDecision(row, stage.name, decision, annotations);
            break;
          }
        }
      } catch (error) {
        outage(error);
        continue;
      }
      if (early !== undefined || parallel.length === 0) {
        record(early ?? finalKeep(row, annotations), used);
        continue;
      }
      while (inFlight.size >= window) await Promise.race(inFlight);
      const job = (async () => {
        for (const stage of parallel) {
          const decision = await limiters.get(stage)!.run(() => runStage(stage, row, context));
          for (const service of stage.services ?? []) used.add(service);
          Object.assign(annotations, decision.annotations);
          if (!decision.keep) return rowDecision(row, stage.name, decision, annotations);
        }
        return finalKeep(row, annotations);
      })().then((decision) => record(decision, used), outage);
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
    journal.flush();
    report();
  }
  return processed;
}

/** A stage's decision; any failure but a service's becomes an error decision (journaled, in rejected.jsonl). */
async function runStage(stage: Stage, row: CurationRow, context: StageContext) {
  try {
    return await stage.process(row, context);
  } catch (error) {
    if (error instanceof InfrastructureError) throw error;
    return {
      keep: false as const,
      error: true as const,
      reason: "stage-error",
      detail: (error as Error).message,
    };
  }
}

function rowDecision(
  row: CurationRow,
  stage: string,
  decision: { keep: false; reason: string; detail: string; error?: true },
  annotations: Annotations,
): RowDecision {
  const out: RowDecision = {
    index: row.index,
    id: rowLabel(row),
    decision: decision.error ? "error" : "reject",
    stage,
    reason: decision.reason,
    detail: decision.detail,
  };
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  return out;
}

function finalKeep(row: CurationRow, annotations: Annotations): RowDecision {
  const out: RowDecision = { index: row.index, id: rowLabel(row), decision: "keep" };
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  return out;
}
