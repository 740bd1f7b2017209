import { assertUnitScore } from "./validate";

/**
 * Whether a rollout counts as correct: its answer score is above 0. The format score plays no part, as in
 * the reference, where `tool_score` is gated on `answer > 0` alone.
 *
 * @param answerScore - the judge's score for the extracted answer, a finite number in [0, 1].
 * @throws RewardsError when `answerScore` is not a finite number in [0, 1].
 */
export function isCorrect(answerScore: number): boolean {
  assertUnitScore(answerScore, "isCorrect", "answerScore");
  return answerScore > 0;
}
