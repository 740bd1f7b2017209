import { type GroupId, indexGroups } from "./group-index";
import { type AdvantageOptions, resolveAdvantageOptions } from "./options";
import { standardiseWithinGroups } from "./standardise-within-groups";
import { type Flag, readFiniteValues, readFlags, requireLength, requirePresent } from "./validate-input";

/**
 * Conditional GRPO: within each group, standardise only over the qualifying rollouts Q
 * (`qualifies[i]` true or 1); every other rollout gets 0.
 *
 * - |Q| ≥ 2: for i in Q, `(r − mean_Q)/(std_Q + ε)` with the unbiased std over Q
 *   (`r − mean_Q` with `normalizeByStd: false`);
 * - |Q| ≤ 1: every advantage of the group is 0 (unlike GRPO's size-1 rule);
 * - all of Q equal: every advantage exactly 0.
 *
 * HDPO's tool advantage is this with r = r_tool and Q = the correct rollouts; see {@link hdpoAdvantages}.
 *
 * @param rewards one finite reward per rollout (entries outside Q are checked but not used)
 * @param groupIds one group id per rollout
 * @param qualifies one flag per rollout (true/false or 1/0): does it belong to Q
 * @returns one advantage per rollout, 0 outside Q
 * @throws AdvantagesError on a length mismatch, a non-finite reward, a non-boolean flag, a bad group id or bad options
 */
export function conditionalGrpoAdvantages(
  rewards: ArrayLike<number>,
  groupIds: ArrayLike<GroupId>,
  qualifies: ArrayLike<Flag>,
  options: AdvantageOptions = {},
): Float64Array {
  const resolved = resolveAdvantageOptions(options);
  requirePresent("rewards", rewards);
  requireLength("groupIds", groupIds, "rewards", rewards.length);
  requireLength("qualifies", qualifies, "rewards", rewards.length);
  const values = readFiniteValues("rewards", rewards);
  const mask = readFlags("qualifies", qualifies);
  return standardiseWithinGroups(values, indexGroups(groupIds), mask, "zero", resolved).advantages;
}
