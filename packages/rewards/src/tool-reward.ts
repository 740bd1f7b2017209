import { assertBoolean, assertToolCallCount } from "./validate";

/**
 * The tool-efficiency reward `r_tool = 1/(T+1)` for a correct rollout, 0 for an incorrect one (the
 * reference's `tool_score`). A correct rollout that used no tool gets 1.
 *
 * @param correct - whether the rollout is correct; see {@link isCorrect}.
 * @param toolCalls - T, every tool request the rollout sent (valid or not, deduplicated or blocked
 *   included; not the session-close request), a non-negative integer.
 * @throws RewardsError when `correct` is not a boolean or `toolCalls` is not a non-negative integer.
 *
 * @example
 * toolReward(true, 3);  // 0.25
 * toolReward(false, 0); // 0
 */
export function toolReward(correct: boolean, toolCalls: number): number {
  assertBoolean(correct, "toolReward", "correct");
  assertToolCallCount(toolCalls, "toolReward", "toolCalls");
  return correct ? 1 / (toolCalls + 1) : 0;
}
