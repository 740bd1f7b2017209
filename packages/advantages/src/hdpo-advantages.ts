import { AdvantagesError } from "./advantages-error";
import { type GroupId, indexGroups } from "./group-index";
import { type AdvantageOptions, resolveAdvantageOptions } from "./options";
import { readHdpoRollouts } from "./read-hdpo-rollouts";
import { standardiseWithinGroups } from "./standardise-within-groups";
import { type Flag, requireLength, requirePresent, summariseToolCalls } from "./validate-input";

/** One HDPO batch: per-rollout rewards and verdicts, in batch order. */
export interface HdpoAdvantageInput {
  /** r_acc = 0.9·answerScore + 0.1·formatScore, one per rollout. */
  readonly accuracyRewards: ArrayLike<number>;
  /** r_tool = 1/(T+1) for a correct rollout, 0 otherwise; > 0 exactly where `correct` is true. */
  readonly toolRewards: ArrayLike<number>;
  /** The verdict (answer score > 0), one per rollout. */
  readonly correct: ArrayLike<Flag>;
  /** The prompt of each rollout; groups may be interleaved. */
  readonly groupIds: ArrayLike<GroupId>;
  /** Tool requests T per rollout (non-negative integers); only feeds the tool-use statistics. */
  readonly toolCalls?: ArrayLike<number>;
}

/** Batch figures a trainer logs next to the losses. Counts are plain numbers; ratios are in [0, 1]. */
export interface HdpoBatchStats {
  /** Rollouts in the batch. */
  readonly rollouts: number;
  /** Distinct group ids. */
  readonly groups: number;
  /** Groups with one rollout (their accuracy advantage is r/(1+ε), by the reference's rule). */
  readonly singletonGroups: number;
  /** Groups of ≥ 2 rollouts whose accuracy rewards are all equal: no accuracy signal (all A_acc = 0). */
  readonly zeroAccuracyVarianceGroups: number;
  /** Groups in which every rollout is correct. */
  readonly allCorrectGroups: number;
  /** Groups in which no rollout is correct. */
  readonly noneCorrectGroups: number;
  /** Groups with at least two correct rollouts (|Q| ≥ 2), the only ones that can carry a tool signal. */
  readonly groupsWithQualifyingPair: number;
  /** Correct rollouts. */
  readonly correctRollouts: number;
  /** Share of rollouts that are correct. */
  readonly accuracy: number;
  /** Rollouts with a non-zero tool advantage (the rows the tool loss is taken over). */
  readonly qualifyingRollouts: number;
  /**
   * ρ: share of rollouts with a non-zero tool advantage. A qualifying rollout that sits exactly on
   * its group's mean, or in a group whose correct rollouts all used the same T, is not counted.
   */
  readonly qualifyingRatio: number;
  /** Mean T over the batch; present only when `toolCalls` was given. */
  readonly meanToolCalls?: number;
  /** Share of rollouts with T > 0; present only when `toolCalls` was given. */
  readonly toolUseRate?: number;
}

/** The two decoupled advantages of a batch and its statistics. */
export interface HdpoAdvantages {
  /** A_acc: GRPO of r_acc over all rollouts of each group. */
  readonly accuracy: Float64Array;
  /** A_tool: conditional GRPO of r_tool over Q = the correct rollouts of each group; 0 elsewhere. */
  readonly tool: Float64Array;
  readonly stats: HdpoBatchStats;
}

/**
 * HDPO's two advantages, computed independently on the same grouping:
 * `accuracy` = GRPO of r_acc over every rollout of a group; `tool` = conditional GRPO of r_tool over
 * Q = {i : r_tool[i] > 0} — exactly the correct rollouts, T = 0 included (see {@link conditionalGrpoAdvantages}).
 * The trainer combines them only in the loss: `w_acc·L(A_acc) + w_tool·L(A_tool)`.
 *
 * @throws AdvantagesError on empty or mismatched input, non-finite or negative rewards, a tool reward
 *   that disagrees with `correct`, bad tool-call counts, bad group ids or bad options
 *
 * @example
 * const { accuracy, tool, stats } = hdpoAdvantages({
 *   accuracyRewards: [1, 1, 0.1, 1],
 *   toolRewards: [1, 0.5, 0, 0.25],
 *   correct: [true, true, false, true],
 *   groupIds: ["q1", "q1", "q1", "q1"],
 * });
 */
export function hdpoAdvantages(input: HdpoAdvantageInput, options: AdvantageOptions = {}): HdpoAdvantages {
  const resolved = resolveAdvantageOptions(options);
  if (input === null || typeof input !== "object") {
    throw new AdvantagesError(
      "hdpoAdvantages needs an object { accuracyRewards, toolRewards, correct, groupIds, toolCalls? }.",
    );
  }
  const { accuracyRewards, toolRewards, correct, groupIds, toolCalls } = input;
  requirePresent("accuracyRewards", accuracyRewards);
  const n = accuracyRewards.length;
  if (n === 0) {
    throw new AdvantagesError(
      "the batch is empty: an HDPO batch needs at least one rollout (its statistics are undefined otherwise).",
    );
  }
  requireLength("toolRewards", toolRewards, "accuracyRewards", n);
  requireLength("correct", correct, "accuracyRewards", n);
  requireLength("groupIds", groupIds, "accuracyRewards", n);
  if (toolCalls !== undefined) requireLength("toolCalls", toolCalls, "accuracyRewards", n);

  const rollouts = readHdpoRollouts(accuracyRewards, toolRewards, correct);
  const toolUse = toolCalls === undefined ? undefined : summariseToolCalls("toolCalls", toolCalls);
  const groups = indexGroups(groupIds);

  const accuracy = standardiseWithinGroups(rollouts.accuracyRewards, groups, null, "unit", resolved);
  const tool = standardiseWithinGroups(rollouts.toolRewards, groups, rollouts.correct, "zero", resolved);

  let singletonGroups = 0;
  let zeroAccuracyVarianceGroups = 0;
  let allCorrectGroups = 0;
  let noneCorrectGroups = 0;
  let groupsWithQualifyingPair = 0;
  const groupCount = groups.ids.length;
  for (let g = 0; g < groupCount; g++) {
    const size = accuracy.members[g];
    const correctInGroup = tool.members[g];
    if (size === 1) singletonGroups++;
    else if (accuracy.sumSquares[g] === 0) zeroAccuracyVarianceGroups++;
    if (correctInGroup === size) allCorrectGroups++;
    if (correctInGroup === 0) noneCorrectGroups++;
    if (correctInGroup >= 2) groupsWithQualifyingPair++;
  }

  const stats: HdpoBatchStats = {
    rollouts: n,
    groups: groupCount,
    singletonGroups,
    zeroAccuracyVarianceGroups,
    allCorrectGroups,
    noneCorrectGroups,
    groupsWithQualifyingPair,
    correctRollouts: rollouts.correctCount,
    accuracy: rollouts.correctCount / n,
    qualifyingRollouts: tool.nonZero,
    qualifyingRatio: tool.nonZero / n,
    ...toolUse,
  };
  return { accuracy: accuracy.advantages, tool: tool.advantages, stats };
}
