export { accuracyReward } from "./accuracy-reward";
export {
  COUPLED_REWARD_KINDS,
  type CoupledRewardKind,
  coupledReward,
  coupledRolloutRewards,
  isCoupledRewardKind,
  type RolloutScore,
} from "./coupled-reward";
export { extractAnswer } from "./extract-answer";
export { formatReward } from "./format-reward";
export { isCorrect } from "./is-correct";
export { normalizeAnswer } from "./normalize-answer";
export { pythonStrip } from "./python-str";
export { RewardsError } from "./rewards-error";
export type { RolloutScores } from "./rollout-batch";
export { type RolloutRewards, rolloutRewards } from "./rollout-rewards";
export { toolReward } from "./tool-reward";
