import { describe, expect, it } from "vitest";
import * as rewards from "./index";

describe("public API", () => {
  it("exports exactly the documented names", () => {
    expect(Object.keys(rewards).sort()).toEqual(
      [
        "COUPLED_REWARD_KINDS",
        "RewardsError",
        "accuracyReward",
        "coupledReward",
        "coupledRolloutRewards",
        "extractAnswer",
        "formatReward",
        "isCorrect",
        "isCoupledRewardKind",
        "normalizeAnswer",
        "pythonStrip",
        "rolloutRewards",
        "toolReward",
      ].sort(),
    );
  });

  it("RewardsError is an Error named RewardsError", () => {
    const error = new rewards.RewardsError("x");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("RewardsError");
    try {
      rewards.accuracyReward(2, 0);
      expect.unreachable();
    } catch (caught) {
      expect(caught).toBeInstanceOf(rewards.RewardsError);
      expect((caught as Error).name).toBe("RewardsError");
    }
  });
});
