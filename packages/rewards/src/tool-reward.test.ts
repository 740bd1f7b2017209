import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RewardsError } from "./rewards-error";
import { toolReward } from "./tool-reward";

describe("toolReward", () => {
  it.each([
    // [T, 1/(T+1)]
    [0, 1],
    [1, 0.5],
    [2, 1 / 3],
    [3, 0.25],
    [9, 0.1],
    [10, 1 / 11],
  ])("a correct rollout with T = %s gets %s", (toolCalls, expected) => {
    expect(Math.abs(toolReward(true, toolCalls) - expected)).toBeLessThan(1e-9);
  });

  it("gives 0 to an incorrect rollout, whatever T", () => {
    expect(toolReward(false, 0)).toBe(0);
    expect(toolReward(false, 7)).toBe(0);
  });

  it("is strictly decreasing in T for correct rollouts and always 0 for incorrect ones", () => {
    const count = fc.integer({ min: 0, max: 1_000_000 });
    fc.assert(
      fc.property(count, count, (a, b) => {
        fc.pre(a !== b);
        const [fewer, more] = a < b ? [a, b] : [b, a];
        expect(toolReward(true, fewer)).toBeGreaterThan(toolReward(true, more));
        expect(toolReward(true, more)).toBeGreaterThan(0);
        expect(toolReward(true, fewer)).toBeLessThanOrEqual(1);
        expect(toolReward(false, a)).toBe(0);
      }),
    );
  });

  it.each([
    [-1, "-1"],
    [1.5, "1.5"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [2 ** 53, String(2 ** 53)],
  ])("rejects T = %s with a message naming it", (toolCalls, shown) => {
    expect(() => toolReward(true, toolCalls)).toThrow(RewardsError);
    expect(() => toolReward(true, toolCalls)).toThrow(
      "toolReward: toolCalls must be a non-negative integer (the number of tool requests the rollout sent), " +
        `got ${shown}.`,
    );
  });

  it("validates T for incorrect rollouts too", () => {
    expect(() => toolReward(false, -1)).toThrow("toolCalls must be a non-negative integer");
  });

  it("rejects a non-boolean correctness and says how to get one", () => {
    expect(() => toolReward(1 as unknown as boolean, 0)).toThrow(
      "toolReward: correct must be a boolean, got 1. Derive it from the answer score with isCorrect(answerScore).",
    );
  });
});
