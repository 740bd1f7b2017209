import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accuracyReward } from "./accuracy-reward";
import { RewardsError } from "./rewards-error";

describe("accuracyReward", () => {
  it.each([
    // [answer, format, 0.9·answer + 0.1·format]
    [1, 1, 1], // 0.9 + 0.1
    [1, 0, 0.9], // 0.9 + 0
    [0, 1, 0.1], // 0 + 0.1
    [0, 0, 0],
    [0.5, 1, 0.55], // 0.45 + 0.1
    [0.25, 0.5, 0.275], // 0.225 + 0.05
  ])("accuracyReward(%s, %s) = %s", (answer, format, expected) => {
    expect(Math.abs(accuracyReward(answer, format) - expected)).toBeLessThan(1e-9);
  });

  it("stays in [0, 1] and is increasing in each score", () => {
    const score = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(score, score, score, (answer, format, higher) => {
        const reward = accuracyReward(answer, format);
        expect(reward).toBeGreaterThanOrEqual(0);
        expect(reward).toBeLessThanOrEqual(1);
        if (higher >= answer) expect(accuracyReward(higher, format)).toBeGreaterThanOrEqual(reward);
        if (higher >= format) expect(accuracyReward(answer, higher)).toBeGreaterThanOrEqual(reward);
      }),
    );
  });

  it("names the bad argument and its value", () => {
    expect(() => accuracyReward(Number.NaN, 1)).toThrow(RewardsError);
    expect(() => accuracyReward(Number.NaN, 1)).toThrow(
      "accuracyReward: answerScore must be a finite number in [0, 1], got NaN.",
    );
    expect(() => accuracyReward(1, 2)).toThrow(
      "accuracyReward: formatScore must be a finite number in [0, 1], got 2.",
    );
    expect(() => accuracyReward(1, -Infinity)).toThrow(
      "formatScore must be a finite number in [0, 1], got -Infinity.",
    );
  });

  it("tells the caller what to do", () => {
    expect(() => accuracyReward(-1, 0)).toThrow(
      "Pass the judge's answer score or formatReward's format score; clamp or fix whatever produced it.",
    );
  });
});
