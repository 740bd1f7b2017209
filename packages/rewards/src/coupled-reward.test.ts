import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accuracyReward } from "./accuracy-reward";
import {
  COUPLED_REWARD_KINDS,
  type CoupledRewardKind,
  coupledReward,
  coupledRolloutRewards,
  isCoupledRewardKind,
} from "./coupled-reward";
import { RewardsError } from "./rewards-error";

const close = (actual: number, expected: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThan(1e-9);
};

describe("COUPLED_REWARD_KINDS", () => {
  it("lists the three baselines", () => {
    expect(COUPLED_REWARD_KINDS).toEqual(["additive-gated", "additive-ungated", "per-call-penalty"]);
  });

  it("is what isCoupledRewardKind accepts", () => {
    for (const kind of COUPLED_REWARD_KINDS) expect(isCoupledRewardKind(kind)).toBe(true);
    expect(isCoupledRewardKind("additive")).toBe(false);
    expect(isCoupledRewardKind(undefined)).toBe(false);
  });
});

describe("coupledReward", () => {
  it("additive-gated: r_acc + α·r_tool, the bonus only when correct", () => {
    // 1 + 0.1·1/(3+1) = 1.025
    close(coupledReward("additive-gated", { answerScore: 1, formatScore: 1, toolCalls: 3 }, 0.1), 1.025);
    // incorrect: 0.1 + 0.1·0 = 0.1
    close(coupledReward("additive-gated", { answerScore: 0, formatScore: 1, toolCalls: 0 }, 0.1), 0.1);
  });

  it("additive-ungated: r_acc + α/(T+1), the bonus also when incorrect", () => {
    // incorrect: 0.1 + 0.1/1 = 0.2
    close(coupledReward("additive-ungated", { answerScore: 0, formatScore: 1, toolCalls: 0 }, 0.1), 0.2);
    // correct: 0.9 + 0.2/2 = 1.0
    close(coupledReward("additive-ungated", { answerScore: 1, formatScore: 0, toolCalls: 1 }, 0.2), 1);
  });

  it("per-call-penalty: r_acc − α·T, correct or not, and may go below 0", () => {
    // 1 − 0.1·2 = 0.8
    close(coupledReward("per-call-penalty", { answerScore: 1, formatScore: 1, toolCalls: 2 }, 0.1), 0.8);
    // 0 − 0.05·3 = −0.15
    close(coupledReward("per-call-penalty", { answerScore: 0, formatScore: 0, toolCalls: 3 }, 0.05), -0.15);
  });

  it("with α = 0 every kind is plain r_acc", () => {
    const score = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.constantFrom(...COUPLED_REWARD_KINDS),
        score,
        score,
        fc.nat(20),
        (kind, answerScore, formatScore, toolCalls) => {
          expect(coupledReward(kind, { answerScore, formatScore, toolCalls }, 0)).toBe(
            accuracyReward(answerScore, formatScore),
          );
        },
      ),
    );
  });

  it("a large α lets a wrong answer outscore a right one (the paper's argument against coupling)", () => {
    const rightWithTools = { answerScore: 1, formatScore: 1, toolCalls: 2 };
    const wrongWithout = { answerScore: 0, formatScore: 1, toolCalls: 0 };
    // per-call-penalty, α = 0.5: right 1 − 1 = 0 < wrong 0.1 − 0 = 0.1
    expect(coupledReward("per-call-penalty", rightWithTools, 0.5)).toBeLessThan(
      coupledReward("per-call-penalty", wrongWithout, 0.5),
    );
    // additive-ungated, α = 2: right 1 + 2/3 ≈ 1.667 < wrong 0.1 + 2/1 = 2.1
    expect(coupledReward("additive-ungated", rightWithTools, 2)).toBeLessThan(
      coupledReward("additive-ungated", wrongWithout, 2),
    );
  });

  it("rejects an unknown kind and lists the known ones", () => {
    expect(() =>
      coupledReward("additive" as CoupledRewardKind, { answerScore: 1, formatScore: 1, toolCalls: 0 }, 0.1),
    ).toThrow(
      'coupledReward: kind must be one of "additive-gated", "additive-ungated", "per-call-penalty", ' +
        'got "additive" (a string).',
    );
  });

  it.each([
    [-0.1, "-0.1"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
  ])("rejects α = %s", (alpha, shown) => {
    expect(() =>
      coupledReward("additive-gated", { answerScore: 1, formatScore: 1, toolCalls: 0 }, alpha),
    ).toThrow(RewardsError);
    expect(() =>
      coupledReward("additive-gated", { answerScore: 1, formatScore: 1, toolCalls: 0 }, alpha),
    ).toThrow(
      "coupledReward: alpha must be a finite number ≥ 0 (the weight of the efficiency term; 0 gives plain " +
        `GRPO's reward), got ${shown}.`,
    );
  });

  it("names the bad field of the rollout", () => {
    expect(() =>
      coupledReward("per-call-penalty", { answerScore: 1, formatScore: 1, toolCalls: -2 }, 0.1),
    ).toThrow(
      "coupledReward: rollout.toolCalls must be a non-negative integer (the number of tool requests the " +
        "rollout sent), got -2.",
    );
    expect(() =>
      coupledReward("per-call-penalty", { answerScore: 1, formatScore: Number.NaN, toolCalls: 0 }, 0.1),
    ).toThrow("coupledReward: rollout.formatScore must be a finite number in [0, 1], got NaN.");
    expect(() =>
      coupledReward(
        "per-call-penalty",
        null as unknown as { answerScore: 1; formatScore: 1; toolCalls: 0 },
        0.1,
      ),
    ).toThrow("coupledReward: rollout must be an object { answerScore, formatScore, toolCalls }, got null.");
  });
});

describe("coupledRolloutRewards", () => {
  it("computes each rollout's coupled reward", () => {
    const scores = { answerScores: [1, 0, 1], formatScores: [1, 1, 0], toolCalls: [1, 0, 4] };
    // additive-gated, α = 0.2: [1 + 0.2/2, 0.1 + 0, 0.9 + 0.2/5] = [1.1, 0.1, 0.94]
    const rewards = coupledRolloutRewards("additive-gated", scores, 0.2);
    expect(rewards).toBeInstanceOf(Float64Array);
    expect(rewards).toHaveLength(3);
    close(rewards[0]!, 1.1);
    close(rewards[1]!, 0.1);
    close(rewards[2]!, 0.94);
  });

  it("agrees with coupledReward element by element", () => {
    const rollout = fc.record({
      answerScore: fc.double({ min: 0, max: 1, noNaN: true }),
      formatScore: fc.constantFrom(0, 1),
      toolCalls: fc.nat(10),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...COUPLED_REWARD_KINDS),
        fc.array(rollout, { maxLength: 16 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (kind, rollouts, alpha) => {
          const rewards = coupledRolloutRewards(
            kind,
            {
              answerScores: rollouts.map((r) => r.answerScore),
              formatScores: rollouts.map((r) => r.formatScore),
              toolCalls: rollouts.map((r) => r.toolCalls),
            },
            alpha,
          );
          expect(Array.from(rewards)).toEqual(rollouts.map((r) => coupledReward(kind, r, alpha)));
        },
      ),
    );
  });

  it("names the bad entry by array and index", () => {
    expect(() =>
      coupledRolloutRewards(
        "per-call-penalty",
        { answerScores: [1, 1], formatScores: [1, 1], toolCalls: [0, 0.5] },
        0.1,
      ),
    ).toThrow("coupledRolloutRewards: toolCalls[1] must be a non-negative integer");
  });

  it("checks kind and α before the batch", () => {
    expect(() =>
      coupledRolloutRewards("per-call-penalty", { answerScores: [], formatScores: [], toolCalls: [] }, -1),
    ).toThrow("coupledRolloutRewards: alpha must be a finite number ≥ 0");
  });
});
