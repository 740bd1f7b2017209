import { AdvantagesError } from "./advantages-error";
import { type GroupId, indexGroups } from "./group-index";
import { type AdvantageOptions, resolveAdvantageOptions } from "./options";
import { standardiseWithinGroups } from "./standardise-within-groups";
import {
  describe,
  type Flag,
  readFiniteValues,
  readFlags,
  readToolCalls,
  requireLength,
  requirePresent,
} from "./validate-input";

/**
 * The coupled baselines HDPO is compared against: one scalar reward mixing accuracy and tool use.
 * - `"additive-gated"`: r_acc + α·(correct ? 1/(T+1) : 0)
 * - `"additive-ungated"`: r_acc + α/(T+1)
 * - `"per-call-penalty"`: r_acc − α·T
 */
export type CoupledKind = "additive-gated" | "additive-ungated" | "per-call-penalty";

/** Every {@link CoupledKind}, in a stable order (for tables and loops). */
export const COUPLED_KINDS: readonly CoupledKind[] = [
  "additive-gated",
  "additive-ungated",
  "per-call-penalty",
];

/** The per-rollout inputs a coupled reward needs. */
export interface CoupledAdvantageInput {
  /** r_acc per rollout. */
  readonly accuracyRewards: ArrayLike<number>;
  /** The verdict per rollout (gates the additive-gated bonus). */
  readonly correct: ArrayLike<Flag>;
  /** Tool requests T per rollout (non-negative integers). */
  readonly toolCalls: ArrayLike<number>;
  /** The prompt of each rollout. */
  readonly groupIds: ArrayLike<GroupId>;
}

/**
 * The advantage of a coupled baseline: the coupled reward of `kind` with weight `alpha`, normalised by
 * plain GRPO (same rules as {@link grpoAdvantages}, size-1 groups included).
 *
 * @param alpha the weight of the tool term, finite and ≥ 0 (0 gives plain GRPO of r_acc)
 * @throws AdvantagesError on an unknown kind, a bad alpha, mismatched or non-finite input, bad T or bad options
 */
export function coupledAdvantages(
  kind: CoupledKind,
  input: CoupledAdvantageInput,
  alpha: number,
  options: AdvantageOptions = {},
): Float64Array {
  const resolved = resolveAdvantageOptions(options);
  if (!COUPLED_KINDS.includes(kind)) {
    throw new AdvantagesError(
      `unknown coupled kind ${describe(kind)}; use one of ${COUPLED_KINDS.join(", ")}.`,
    );
  }
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha < 0) {
    throw new AdvantagesError(
      `alpha must be a finite number ≥ 0 (the weight of the tool term), got ${describe(alpha)}.`,
    );
  }
  if (input === null || typeof input !== "object") {
    throw new AdvantagesError(
      "coupledAdvantages needs an object { accuracyRewards, correct, toolCalls, groupIds }.",
    );
  }
  const { accuracyRewards, correct, toolCalls, groupIds } = input;
  requirePresent("accuracyRewards", accuracyRewards);
  const n = accuracyRewards.length;
  requireLength("correct", correct, "accuracyRewards", n);
  requireLength("toolCalls", toolCalls, "accuracyRewards", n);
  requireLength("groupIds", groupIds, "accuracyRewards", n);
  const rewards = readFiniteValues("accuracyRewards", accuracyRewards);
  const isCorrect = readFlags("correct", correct);
  const calls = readToolCalls("toolCalls", toolCalls);

  // The coupled rewards of the spec's "Coupled baselines" section, computed inline because packages on
  // this floor do not import each other (@hdpo/rewards owns the canonical versions).
  for (let i = 0; i < n; i++) {
    const t = calls[i];
    if (kind === "additive-gated") rewards[i] += isCorrect[i] === 1 ? alpha * (1 / (t + 1)) : 0;
    else if (kind === "additive-ungated") rewards[i] += alpha / (t + 1);
    else rewards[i] -= alpha * t;
  }
  return standardiseWithinGroups(rewards, indexGroups(groupIds), null, "unit", resolved).advantages;
}
