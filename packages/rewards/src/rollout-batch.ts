import { RewardsError } from "./rewards-error";
import { describeValue, isToolCallCount, isUnitScore, toolCallCountError, unitScoreError } from "./validate";

/**
 * Per-rollout inputs for a batch, one entry per rollout at the same index in each field: plain arrays or
 * typed arrays (e.g. `Float64Array` scores, `Int32Array` counts).
 */
export interface RolloutScores {
  /** The judge's answer scores, each a finite number in [0, 1]. */
  readonly answerScores: ArrayLike<number>;
  /** The format scores ({@link formatReward}), each a finite number in [0, 1]. */
  readonly formatScores: ArrayLike<number>;
  /** T per rollout: every tool request it sent, each a non-negative integer. */
  readonly toolCalls: ArrayLike<number>;
}

/** Checks a batch up front, so that a bad entry is reported by its index; returns the rollout count. */
export function validateRolloutScores(scores: RolloutScores, where: string): number {
  if (typeof scores !== "object" || scores === null) {
    throw new RewardsError(
      `${where}: expected an object { answerScores, formatScores, toolCalls }, got ${describeValue(scores)}.`,
    );
  }
  const { answerScores, formatScores, toolCalls } = scores;
  assertArrayLike(answerScores, where, "answerScores");
  assertArrayLike(formatScores, where, "formatScores");
  assertArrayLike(toolCalls, where, "toolCalls");
  const count = answerScores.length;
  if (formatScores.length !== count || toolCalls.length !== count) {
    throw new RewardsError(
      `${where}: answerScores, formatScores and toolCalls must have one entry per rollout, but their lengths ` +
        `are ${answerScores.length}, ${formatScores.length} and ${toolCalls.length}.`,
    );
  }
  for (let i = 0; i < count; i++) {
    if (!isUnitScore(answerScores[i])) throw unitScoreError(where, `answerScores[${i}]`, answerScores[i]);
    if (!isUnitScore(formatScores[i])) throw unitScoreError(where, `formatScores[${i}]`, formatScores[i]);
    if (!isToolCallCount(toolCalls[i])) throw toolCallCountError(where, `toolCalls[${i}]`, toolCalls[i]);
  }
  return count;
}

function assertArrayLike(value: unknown, where: string, name: string): asserts value is ArrayLike<number> {
  const isArrayLike =
    typeof value === "object" &&
    value !== null &&
    Number.isSafeInteger((value as { length?: unknown }).length) &&
    (value as { length: number }).length >= 0;
  if (!isArrayLike) {
    throw new RewardsError(
      `${where}: ${name} must be an array or typed array with one number per rollout, got ${describeValue(value)}.`,
    );
  }
}
