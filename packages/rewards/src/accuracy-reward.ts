import { assertUnitScore } from "./validate";

const ANSWER_WEIGHT = 0.9;
const FORMAT_WEIGHT = 0.1;

/**
 * The accuracy reward `r_acc = 0.9·answerScore + 0.1·formatScore` (the reference's `score`), in float64.
 *
 * @param answerScore - the judge's score for the extracted answer, a finite number in [0, 1].
 * @param formatScore - {@link formatReward}'s score, a finite number in [0, 1].
 * @throws RewardsError naming the argument and the value when either is not a finite number in [0, 1].
 *
 * @example
 * accuracyReward(1, 0); // 0.9
 */
export function accuracyReward(answerScore: number, formatScore: number): number {
  assertUnitScore(answerScore, "accuracyReward", "answerScore");
  assertUnitScore(formatScore, "accuracyReward", "formatScore");
  return ANSWER_WEIGHT * answerScore + FORMAT_WEIGHT * formatScore;
}
