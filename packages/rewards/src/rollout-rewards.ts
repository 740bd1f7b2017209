import { accuracyReward } from "./accuracy-reward";
import { isCorrect } from "./is-correct";
import { type RolloutScores, validateRolloutScores } from "./rollout-batch";
import { toolReward } from "./tool-reward";

/** The two HDPO reward channels of a batch, index-aligned with its input. */
export interface RolloutRewards {
  /** `r_acc = 0.9·answer + 0.1·format` per rollout. */
  readonly accuracy: Float64Array;
  /** `r_tool = 1/(T+1)` for a correct rollout, else 0. */
  readonly tool: Float64Array;
  /** 1 where the rollout is correct (answer score > 0), else 0. */
  readonly correct: Uint8Array;
}

/**
 * The HDPO rewards of a batch of rollouts, as the trainer feeds them to the advantage estimators: the
 * accuracy channel ({@link accuracyReward}), the tool channel ({@link toolReward}) and the correctness mask
 * ({@link isCorrect}) that gates the tool channel. An empty batch gives empty arrays.
 *
 * @throws RewardsError when the three inputs differ in length (all three lengths are given), or when an
 *   entry is out of range (its array and index are named, e.g. `formatScores[3]`).
 *
 * @example
 * const { accuracy, tool, correct } = rolloutRewards({
 *   answerScores: [1, 0],
 *   formatScores: [1, 1],
 *   toolCalls: [1, 2],
 * });
 * // accuracy ≈ [1, 0.1], tool = [0.5, 0], correct = [1, 0]
 */
export function rolloutRewards(scores: RolloutScores): RolloutRewards {
  const count = validateRolloutScores(scores, "rolloutRewards");
  const accuracy = new Float64Array(count);
  const tool = new Float64Array(count);
  const correct = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const answerScore = scores.answerScores[i]!;
    const rolloutCorrect = isCorrect(answerScore);
    accuracy[i] = accuracyReward(answerScore, scores.formatScores[i]!);
    tool[i] = toolReward(rolloutCorrect, scores.toolCalls[i]!);
    correct[i] = rolloutCorrect ? 1 : 0;
  }
  return { accuracy, tool, correct };
}
