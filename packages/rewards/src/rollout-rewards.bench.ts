import { bench, describe } from "vitest";
import { coupledRolloutRewards } from "./coupled-reward";
import { rolloutRewards } from "./rollout-rewards";

// The reference's batch: 128 prompts × 16 rollouts.
const ROLLOUTS = 128 * 16;
const answerScores = Float64Array.from({ length: ROLLOUTS }, (_, i) => (i % 3 === 0 ? 0 : 1));
const formatScores = Float64Array.from({ length: ROLLOUTS }, (_, i) => (i % 7 === 0 ? 0 : 1));
const toolCalls = Int32Array.from({ length: ROLLOUTS }, (_, i) => i % 11);
const scores = { answerScores, formatScores, toolCalls };

describe(`rewards of ${ROLLOUTS} rollouts`, () => {
  bench("rolloutRewards", () => {
    rolloutRewards(scores);
  });

  bench("coupledRolloutRewards (additive-gated)", () => {
    coupledRolloutRewards("additive-gated", scores, 0.15);
  });
});
