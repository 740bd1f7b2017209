import { type GroupId, indexGroups } from "./group-index";
import { type AdvantageOptions, resolveAdvantageOptions } from "./options";
import { standardiseWithinGroups } from "./standardise-within-groups";
import { readFiniteValues, requireLength, requirePresent } from "./validate-input";

/**
 * GRPO advantages: each rollout's reward standardised within its group (the rollouts with the same
 * group id, in any order in the batch).
 *
 * - group size ≥ 2: `(r − mean)/(std + ε)`, unbiased std (n − 1), ε added to the std;
 *   with `normalizeByStd: false`, `r − mean`;
 * - group size 1: mean 0 and std 1 as in the reference, so `r/(1 + ε)` (not 0); unnormalised, `r`.
 *
 * A group whose rewards are all equal gets exactly 0 for every rollout.
 *
 * @param rewards one finite reward per rollout (e.g. r_acc)
 * @param groupIds one group id per rollout (the prompt's uid)
 * @returns one advantage per rollout, in batch order
 * @throws AdvantagesError on a length mismatch, a non-finite reward, a bad group id or bad options
 *
 * @example
 * grpoAdvantages([1, 0, 0, 1], ["p", "p", "p", "p"]); // ≈ [0.866, −0.866, −0.866, 0.866]
 */
export function grpoAdvantages(
  rewards: ArrayLike<number>,
  groupIds: ArrayLike<GroupId>,
  options: AdvantageOptions = {},
): Float64Array {
  const resolved = resolveAdvantageOptions(options);
  requirePresent("rewards", rewards);
  requireLength("groupIds", groupIds, "rewards", rewards.length);
  const values = readFiniteValues("rewards", rewards);
  return standardiseWithinGroups(values, indexGroups(groupIds), null, "unit", resolved).advantages;
}
