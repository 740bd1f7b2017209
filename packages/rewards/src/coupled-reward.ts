import { accuracyReward } from "./accuracy-reward";
import { isCorrect } from "./is-correct";
import { RewardsError } from "./rewards-error";
import { type RolloutScores, validateRolloutScores } from "./rollout-batch";
import { toolReward } from "./tool-reward";
import { assertToolCallCount, assertUnitScore, describeValue } from "./validate";

/**
 * The coupled-reward baselines HDPO is compared against; each folds tool efficiency into one scalar that
 * plain GRPO then normalises. None is in the reference implementation. Defined in the HDPO math spec
 * (`hdpo-math.md`, "Coupled baselines"), which also records the paper's argument against them ("Act Wisely:
 * Cultivating Meta-Cognitive Tool Use in Agentic Multimodal Models"): for a small α the efficiency part
 * of the normalised advantage is O(α) next to the variance of the accuracy reward, so it barely steers the
 * policy; for a large α it overrides correctness.
 *
 * - `"additive-gated"`: `r_acc + α·r_tool`, where `r_tool = 1/(T+1)` only when correct, else 0.
 * - `"additive-ungated"`: `r_acc + α/(T+1)`, the efficiency bonus paid whether or not the answer is right.
 * - `"per-call-penalty"`: `r_acc − α·T`, a cost per tool request, correct or not.
 */
export const COUPLED_REWARD_KINDS = ["additive-gated", "additive-ungated", "per-call-penalty"] as const;

/** One of {@link COUPLED_REWARD_KINDS}. */
export type CoupledRewardKind = (typeof COUPLED_REWARD_KINDS)[number];

/** The scores of one rollout, as a coupled reward needs them. */
export interface RolloutScore {
  /** The judge's answer score, a finite number in [0, 1]. */
  readonly answerScore: number;
  /** The format score ({@link formatReward}), a finite number in [0, 1]. */
  readonly formatScore: number;
  /** T: every tool request the rollout sent, a non-negative integer. */
  readonly toolCalls: number;
}

/**
 * One rollout's reward under a coupled baseline (see {@link COUPLED_REWARD_KINDS} for the formulas and their
 * source). `alpha = 0` gives back `r_acc`, i.e. plain GRPO's reward.
 *
 * @param kind - which baseline.
 * @param rollout - the rollout's answer score, format score and tool-call count.
 * @param alpha - α, the weight of the efficiency term: finite and ≥ 0.
 * @throws RewardsError on an unknown kind, a score outside [0, 1], a count that is not a non-negative
 *   integer, or an α that is negative or not finite.
 *
 * @example
 * coupledReward("per-call-penalty", { answerScore: 1, formatScore: 1, toolCalls: 2 }, 0.1); // 1 − 0.2 = 0.8
 */
export function coupledReward(kind: CoupledRewardKind, rollout: RolloutScore, alpha: number): number {
  const where = "coupledReward";
  assertCoupledRewardKind(kind, where);
  assertAlpha(alpha, where);
  if (typeof rollout !== "object" || rollout === null) {
    throw new RewardsError(
      `${where}: rollout must be an object { answerScore, formatScore, toolCalls }, got ${describeValue(rollout)}.`,
    );
  }
  assertUnitScore(rollout.answerScore, where, "rollout.answerScore");
  assertUnitScore(rollout.formatScore, where, "rollout.formatScore");
  assertToolCallCount(rollout.toolCalls, where, "rollout.toolCalls");
  return coupledRewardOfValid(kind, rollout.answerScore, rollout.formatScore, rollout.toolCalls, alpha);
}

/**
 * {@link coupledReward} over a batch, index-aligned with its input, for the plain-GRPO side of a comparison.
 *
 * @throws RewardsError as {@link coupledReward} does, and when the inputs differ in length; a bad entry is
 *   named by its array and index.
 */
export function coupledRolloutRewards(
  kind: CoupledRewardKind,
  scores: RolloutScores,
  alpha: number,
): Float64Array {
  const where = "coupledRolloutRewards";
  assertCoupledRewardKind(kind, where);
  assertAlpha(alpha, where);
  const count = validateRolloutScores(scores, where);
  const rewards = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    rewards[i] = coupledRewardOfValid(
      kind,
      scores.answerScores[i]!,
      scores.formatScores[i]!,
      scores.toolCalls[i]!,
      alpha,
    );
  }
  return rewards;
}

/** Whether `value` names a coupled baseline; narrows to {@link CoupledRewardKind}. */
export function isCoupledRewardKind(value: unknown): value is CoupledRewardKind {
  return (COUPLED_REWARD_KINDS as readonly unknown[]).includes(value);
}

function coupledRewardOfValid(
  kind: CoupledRewardKind,
  answerScore: number,
  formatScore: number,
  toolCalls: number,
  alpha: number,
): number {
  const accuracy = accuracyReward(answerScore, formatScore);
  switch (kind) {
    case "additive-gated":
      return accuracy + alpha * toolReward(isCorrect(answerScore), toolCalls);
    case "additive-ungated":
      return accuracy + alpha / (toolCalls + 1);
    case "per-call-penalty":
      return accuracy - alpha * toolCalls;
  }
}

function assertCoupledRewardKind(kind: unknown, where: string): asserts kind is CoupledRewardKind {
  if (!isCoupledRewardKind(kind)) {
    const known = COUPLED_REWARD_KINDS.map((k) => JSON.stringify(k)).join(", ");
    throw new RewardsError(`${where}: kind must be one of ${known}, got ${describeValue(kind)}.`);
  }
}

function assertAlpha(alpha: unknown, where: string): asserts alpha is number {
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha < 0) {
    throw new RewardsError(
      `${where}: alpha must be a finite number ≥ 0 (the weight of the efficiency term; 0 gives plain GRPO's ` +
        `reward), got ${describeValue(alpha)}.`,
    );
  }
}
