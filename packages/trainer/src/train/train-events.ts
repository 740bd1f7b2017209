import type { EvalResult } from "./eval-result";
import type { RlMetricsLine, SftMetricsLine } from "./metrics-log";
import type { RunPosition } from "./run-checkpoint";
import type { RunSummary } from "./run-summary";

/** A training phase as progress reports it. */
export type TrainPhase = "sft" | "hdpo";

/**
 * What `train()` reports as it goes, in order. Listeners are awaited (a report written at a checkpoint is on disk
 * before the run goes on), and a listener that throws ends the run as a crash would.
 */
export type TrainEvent =
  /** Something worth a line: what is being prepared, a step that failed, where a resume starts. */
  | { type: "note"; message: string }
  /** A phase begins (or resumes): `completed` of `total` steps are done. */
  | { type: "phase-start"; phase: TrainPhase; total: number; completed: number }
  /** An SFT step ended; `line` is what metrics.jsonl got. */
  | { type: "sft-step"; completed: number; total: number; line: SftMetricsLine }
  /** An HDPO step ended, or failed (`"failed" in line`); `line` is what metrics.jsonl got. */
  | { type: "rl-step"; completed: number; total: number; line: RlMetricsLine }
  /** A policy was evaluated on the held-out test split. */
  | { type: "evaluation"; policy: "sft" | "hdpo"; result: EvalResult }
  /** A checkpoint was written (the learner's state and the run's position); `status` says where the run stands. */
  | { type: "checkpoint"; status: string; position: RunPosition; learnerState: string }
  /** The run finished; summary.json is written. */
  | { type: "finished"; summary: RunSummary };

export type TrainEventListener = (event: TrainEvent) => void | Promise<void>;
