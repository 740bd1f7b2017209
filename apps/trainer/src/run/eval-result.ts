import type { InfrastructureCounts } from "@hdpo/agent-loop";

/** A policy's numbers on the held-out test split (the blocks `sft` and `hdpo` of summary.json). */
export interface EvalResult {
  /** Share of finished rollouts judged correct. */
  accuracy: number | null;
  /** Share of tool-unnecessary tasks where the policy called a tool (blind tool use; lower is better). */
  toolRateUnnecessary: number | null;
  /** Share of tool-required tasks where the policy called a tool (higher is better). */
  toolRateNecessary: number | null;
  /** Share of all tasks with at least one tool call. */
  toolRate: number | null;
  /** Mean tool calls per task (mean T). */
  meanToolCalls: number | null;
  /** Accuracy on the tool-unnecessary and on the tool-required tasks. */
  accuracyUnnecessary: number | null;
  accuracyNecessary: number | null;
  /** Tasks scored (finished rollouts). */
  n: number;
  nUnnecessary: number;
  nNecessary: number;
  /** Rollouts that errored (left out of every rate). */
  errors: number;
  /** The first errored rollout's cause, when any errored. */
  firstError: string | null;
  /**
   * Tasks a failing service (tool server, LLM judge) kept from being scored, by service: left out of every number.
   * Absent in results written before it was recorded.
   */
  notScored?: InfrastructureCounts;
  wallMs: number;
}
