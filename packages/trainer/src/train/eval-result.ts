import type { InfrastructureCounts } from "@hdpo/agent-loop";
import type { FailedItem, Summary } from "@hdpo/evaluation";

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

/**
 * The trainer's block of summary.json from the evaluation engine's summary (hdpo-eval's numbers: accuracy over the
 * scored tasks, tool-use rates per tool-necessity label) and its failed rollouts, in task order.
 */
export function evalResult(summary: Summary, failed: readonly FailedItem[], wallMs: number): EvalResult {
  const confusion = summary.toolNecessity?.confusion;
  const required = confusion?.required ?? { used: 0, notUsed: 0 };
  const unnecessary = confusion?.unnecessary ?? { used: 0, notUsed: 0 };
  const nNecessary = required.used + required.notUsed;
  const nUnnecessary = unnecessary.used + unnecessary.notUsed;
  return {
    accuracy: summary.accuracy,
    toolRateUnnecessary: nUnnecessary === 0 ? null : unnecessary.used / nUnnecessary,
    toolRateNecessary: nNecessary === 0 ? null : required.used / nNecessary,
    toolRate: summary.toolUseRate,
    meanToolCalls: summary.meanToolCalls,
    accuracyUnnecessary: summary.toolNecessity?.accuracy.unnecessary ?? null,
    accuracyNecessary: summary.toolNecessity?.accuracy.required ?? null,
    n: summary.n,
    nUnnecessary,
    nNecessary,
    errors: failed.length,
    firstError: failed[0]?.error ?? null,
    notScored: summary.notScored,
    wallMs,
  };
}
