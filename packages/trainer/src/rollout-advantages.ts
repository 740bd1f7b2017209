import { coupledAdvantages, grpoAdvantages, type HdpoBatchStats, hdpoAdvantages } from "@hdpo/advantages";
import { rolloutRewards } from "@hdpo/rewards";
import type { AdvantageMode } from "./trainer-config";

/** Per-rollout inputs of the advantage estimators. */
export interface AdvantageRollout {
  groupId: string | number;
  answerScore: number;
  formatScore: number;
  toolCalls: number;
}

/** Both channels' advantages, index-aligned with the input, and the HDPO batch statistics (ρ, |Q| ≥ 2 …). */
export interface RolloutAdvantages {
  accuracy: Float64Array;
  tool: Float64Array;
  /** Always HDPO's statistics, also for GRPO and coupled runs, so the metrics compare across modes. */
  stats: HdpoBatchStats;
  /** The tool-channel weight to use in the loss: `wTool` for "hdpo", 0 otherwise (the tool channel is off). */
  toolWeight: number;
}

/**
 * Rewards (`rolloutRewards`) and advantages for one step. "hdpo": decoupled A_acc and A_tool; "grpo": GRPO on
 * r_acc with the tool channel off (w_tool = 0); coupled: one GRPO-normalised coupled reward in the accuracy
 * channel, tool channel off.
 */
export function rolloutAdvantages(
  rollouts: readonly AdvantageRollout[],
  mode: AdvantageMode,
  wTool: number,
): RolloutAdvantages {
  const rewards = rolloutRewards({
    answerScores: rollouts.map((r) => r.answerScore),
    formatScores: rollouts.map((r) => r.formatScore),
    toolCalls: rollouts.map((r) => r.toolCalls),
  });
  const groupIds = rollouts.map((r) => r.groupId);
  const toolCalls = rollouts.map((r) => r.toolCalls);
  const hdpo = hdpoAdvantages({
    accuracyRewards: rewards.accuracy,
    toolRewards: rewards.tool,
    correct: rewards.correct,
    groupIds,
    toolCalls,
  });
  if (mode === "hdpo")
    return { accuracy: hdpo.accuracy, tool: hdpo.tool, stats: hdpo.stats, toolWeight: wTool };
  const zeros = new Float64Array(rollouts.length);
  if (mode === "grpo") {
    return {
      accuracy: grpoAdvantages(rewards.accuracy, groupIds),
      tool: zeros,
      stats: hdpo.stats,
      toolWeight: 0,
    };
  }
  const accuracy = coupledAdvantages(
    mode.coupled,
    { accuracyRewards: rewards.accuracy, correct: rewards.correct, toolCalls, groupIds },
    mode.alpha,
  );
  return { accuracy, tool: zeros, stats: hdpo.stats, toolWeight: 0 };
}
