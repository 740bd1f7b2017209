import type { InfrastructureService } from "@hdpo/agent-loop";
import type { CurationRow } from "../rows/curation-row";
import type { RowDecision, StageDecision } from "../rows/row-decision";

/** The filters, in the order they run when several are chosen (cheapest first). */
export const STAGE_NAMES = ["hygiene", "reexec", "necessity", "mixed", "judge"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** One line per filter, for `--help` and the report. */
export const STAGE_DESCRIPTIONS: Record<StageName, string> = {
  hygiene:
    "drops malformed rows, missing or undecodable images, missing answers, malformed tool calls, exact and near duplicates",
  reexec:
    "re-runs every python call of a trajectory in one fresh sandbox session, in order; drops it when a call fails or its recorded output disagrees",
  necessity:
    "pass@k without tools (default k=8) on an OpenAI-compatible endpoint; drops tasks solved every time, records passK on kept rows",
  mixed:
    "k rollouts with tools (in-process); keeps tasks whose success rate is strictly inside the band (default 0,1)",
  judge:
    "an LLM judge scores visual relevance, reasoning coherence and tool-use rationale (1-5); keeps rows at or above the thresholds",
};

/** What every stage may use besides the row. */
export interface StageContext {
  /** The input's folder: relative image paths resolve against it. */
  baseDir: string;
  signal?: AbortSignal;
}

/** A filter: decides keep or reject for one row at a time. */
export interface Stage {
  readonly name: StageName;
  /** Rows in this stage at once (bounds model or sandbox calls). */
  readonly concurrency: number;
  /** Rows must pass through in input order, one at a time (duplicate detection is order-dependent). */
  readonly ordered?: boolean;
  /**
   * The services `process` calls (model endpoint, judge). A row this stage decided shows they work, which resets
   * their streak of failures; `process` rejects with an InfrastructureError when one of them failed.
   */
  readonly services?: readonly InfrastructureService[];
  process(row: CurationRow, context: StageContext): Promise<StageDecision>;
  /** Re-learns from a row finished in an earlier run (the duplicate index), in input order, before any new row. */
  restore?(row: CurationRow, decision: RowDecision): void;
  /** Releases what the stage holds (sandbox processes, HTTP agents). */
  close?(): Promise<void>;
}
