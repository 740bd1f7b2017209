import { type InfrastructureCounts, zeroInfrastructureCounts } from "@hdpo/agent-loop";
import type { ErrorPolicy } from "@hdpo/judge";
import { quantile, ratio } from "./percentile";
import type { Prediction } from "./prediction";

/** Accuracy and tool use of a group of items (the whole run, a category, a necessity label). */
export interface GroupMetrics {
  n: number;
  /** Items that count toward accuracy (judge errors are left out under the "exclude" policy). */
  scored: number;
  /** Mean score of the scored items; null when none. */
  accuracy: number | null;
  /** Fraction of items with at least one tool call (T ≥ 1). */
  toolUseRate: number | null;
  meanToolCalls: number | null;
}

/** The meta-cognitive confusion matrix: tool necessity × whether a tool was used. */
export interface ToolNecessityMetrics {
  confusion: {
    required: { used: number; notUsed: number };
    unnecessary: { used: number; notUsed: number };
  };
  /** Tool used where unnecessary / unnecessary items. */
  blindToolRate: number | null;
  /** No tool where required / required items. */
  missedToolRate: number | null;
  accuracy: { required: number | null; unnecessary: number | null };
}

/** summary.json: every number a pure function of the predictions (order does not matter). */
export interface Summary extends GroupMetrics {
  /** Items the run meant to evaluate (dataset size, or --limit). */
  planned: number;
  complete: boolean;
  /**
   * Items the last invocation could not score because a service failed (the tool server, the model endpoint, the
   * judge), by service. They are not in predictions.jsonl nor in any number here; a resumed run retries them.
   */
  notScored: InfrastructureCounts;
  /** Items left out of accuracy by the judge error policy. */
  excluded: number;
  /** T distribution: items by number of tool calls ("0", "1", …). */
  toolCallsHistogram: Record<string, number>;
  /** Calls per tool name, over all items. */
  toolCallsByName: Record<string, number>;
  invalidToolCalls: number;
  perCategory: Record<string, GroupMetrics>;
  /** Wall time per item (rollout + judgement). */
  latencyMs: { p50: number | null; p95: number | null; mean: number | null };
  /** Summed over items: time waiting for the model, for tools, for the judge. */
  timeMs: { model: number; tools: number; judge: number };
  /** Model share of model + tool time; null when both are 0. */
  modelTimeShare: number | null;
  /** Summed token counts (approximate unless the policy reports exact ones). */
  tokens: { prompt: number; completion: number; observation: number };
  judge: {
    errorPolicy: ErrorPolicy;
    decidedBy: Record<"rule" | "llm" | "none", number>;
    byRule: Record<string, number>;
    cached: number;
    errorCauses: Record<string, number>;
  };
  /** Judgements that failed (timeouts, HTTP errors, unparseable replies), whatever the policy did with them. */
  judgeErrors: number;
  finishReasons: Record<string, number>;
  /** Present only when some items carry a tool-necessity label. */
  blindToolRate?: number | null;
  missedToolRate?: number | null;
  toolNecessity?: ToolNecessityMetrics;
}

/** Context a summary needs beyond the predictions. */
export interface SummaryContext {
  errorPolicy: ErrorPolicy;
  planned: number;
  complete: boolean;
  /** Items of the last invocation left unscored by a service's failure; none when omitted. */
  notScored?: InfrastructureCounts;
}

/** Accuracy and tool-use of a group. */
export function groupMetrics(predictions: readonly Prediction[]): GroupMetrics {
  let scored = 0;
  let scoreSum = 0;
  let withTools = 0;
  let calls = 0;
  for (const prediction of predictions) {
    if (prediction.included) {
      scored++;
      scoreSum += prediction.score;
    }
    if (prediction.toolCalls > 0) withTools++;
    calls += prediction.toolCalls;
  }
  return {
    n: predictions.length,
    scored,
    accuracy: ratio(scoreSum, scored),
    toolUseRate: ratio(withTools, predictions.length),
    meanToolCalls: ratio(calls, predictions.length),
  };
}

/** The confusion matrix over labelled items, or undefined when no item is labelled required/unnecessary. */
export function toolNecessityMetrics(predictions: readonly Prediction[]): ToolNecessityMetrics | undefined {
  const required = predictions.filter((p) => p.toolNecessity === "required");
  const unnecessary = predictions.filter((p) => p.toolNecessity === "unnecessary");
  if (required.length === 0 && unnecessary.length === 0) return undefined;
  const used = (items: readonly Prediction[]) => items.filter((p) => p.toolCalls > 0).length;
  const requiredUsed = used(required);
  const unnecessaryUsed = used(unnecessary);
  return {
    confusion: {
      required: { used: requiredUsed, notUsed: required.length - requiredUsed },
      unnecessary: { used: unnecessaryUsed, notUsed: unnecessary.length - unnecessaryUsed },
    },
    blindToolRate: ratio(unnecessaryUsed, unnecessary.length),
    missedToolRate: ratio(required.length - requiredUsed, required.length),
    accuracy: { required: groupMetrics(required).accuracy, unnecessary: groupMetrics(unnecessary).accuracy },
  };
}

/** Uncategorized items are grouped under this name. */
export const NO_CATEGORY = "(none)";

/** summary.json from the predictions of a run. */
export function summarize(predictions: readonly Prediction[], context: SummaryContext): Summary {
  const overall = groupMetrics(predictions);
  const histogram: Record<string, number> = {};
  const byName: Record<string, number> = {};
  const byCategory = new Map<string, Prediction[]>();
  const finishReasons: Record<string, number> = {};
  const decidedBy = { rule: 0, llm: 0, none: 0 };
  const byRule: Record<string, number> = {};
  const errorCauses: Record<string, number> = {};
  let invalidToolCalls = 0;
  let cached = 0;
  let judgeErrors = 0;
  const timeMs = { model: 0, tools: 0, judge: 0 };
  const tokens = { prompt: 0, completion: 0, observation: 0 };
  for (const p of predictions) {
    increment(histogram, String(p.toolCalls));
    for (const [name, count] of Object.entries(p.toolCallsByName)) increment(byName, name, count);
    const category = p.category ?? NO_CATEGORY;
    const members = byCategory.get(category);
    if (members === undefined) byCategory.set(category, [p]);
    else members.push(p);
    increment(finishReasons, p.finishReason);
    decidedBy[p.verdict.decidedBy]++;
    if (p.verdict.rule !== undefined) increment(byRule, p.verdict.rule);
    if (p.verdict.cached === true) cached++;
    if (p.verdict.status === "error") {
      judgeErrors++;
      increment(errorCauses, (p.verdict.cause ?? "unknown").slice(0, 120));
    }
    invalidToolCalls += p.invalidToolCalls;
    timeMs.model += p.timings.modelMs;
    timeMs.tools += p.timings.toolMs;
    timeMs.judge += p.timings.judgeMs;
    if (p.tokens !== undefined) {
      tokens.prompt += p.tokens.prompt;
      tokens.completion += p.tokens.completion;
      tokens.observation += p.tokens.observation;
    }
  }
  const latencies = predictions.map((p) => p.timings.totalMs);
  const perCategory: Record<string, GroupMetrics> = {};
  for (const category of [...byCategory.keys()].sort())
    perCategory[category] = groupMetrics(byCategory.get(category)!);
  const summary: Summary = {
    ...overall,
    planned: context.planned,
    complete: context.complete,
    notScored: { ...(context.notScored ?? zeroInfrastructureCounts()) },
    excluded: overall.n - overall.scored,
    toolCallsHistogram: sortNumericKeys(histogram),
    toolCallsByName: sortKeys(byName),
    invalidToolCalls,
    perCategory,
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      mean: ratio(
        latencies.reduce((a, b) => a + b, 0),
        latencies.length,
      ),
    },
    timeMs,
    modelTimeShare: ratio(timeMs.model, timeMs.model + timeMs.tools),
    tokens,
    judge: {
      errorPolicy: context.errorPolicy,
      decidedBy,
      byRule: sortKeys(byRule),
      cached,
      errorCauses: sortKeys(errorCauses),
    },
    judgeErrors,
    finishReasons: sortKeys(finishReasons),
  };
  const necessity = toolNecessityMetrics(predictions);
  if (necessity !== undefined) {
    summary.blindToolRate = necessity.blindToolRate;
    summary.missedToolRate = necessity.missedToolRate;
    summary.toolNecessity = necessity;
  }
  return summary;
}

function increment(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sortNumericKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => Number(a) - Number(b)));
}
