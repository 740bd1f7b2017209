import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accuracyReward } from "./accuracy-reward";
import { isCorrect } from "./is-correct";
import { RewardsError } from "./rewards-error";
import type { RolloutScores } from "./rollout-batch";
import { rolloutRewards } from "./rollout-rewards";
import { toolReward } from "./tool-reward";

const expectClose = (actual: ArrayLike<number>, expected: readonly number[]): void => {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => {
    expect(Math.abs(actual[i]! - value)).toBeLessThan(1e-9);
  });
};

describe("rolloutRewards", () => {
  it("computes both channels and the correctness mask", () => {
    const { accuracy, tool, correct } = rolloutRewards({
      answerScores: [1, 0, 0.5, 1],
      formatScores: [1, 1, 0, 0],
      toolCalls: [0, 2, 1, 3],
    });
    // accuracy: 0.9·1+0.1·1 = 1; 0+0.1 = 0.1; 0.45+0 = 0.45; 0.9+0 = 0.9
    expectClose(accuracy, [1, 0.1, 0.45, 0.9]);
    // tool: correct → 1/(T+1): 1/1, (incorrect) 0, 1/2, 1/4
    expectClose(tool, [1, 0, 0.5, 0.25]);
    expect(Array.from(correct)).toEqual([1, 0, 1, 1]);
    expect(accuracy).toBeInstanceOf(Float64Array);
    expect(tool).toBeInstanceOf(Float64Array);
    expect(correct).toBeInstanceOf(Uint8Array);
  });

  it("accepts typed arrays", () => {
    const { accuracy, tool, correct } = rolloutRewards({
      answerScores: new Float64Array([0, 1]),
      formatScores: new Float32Array([0, 1]),
      toolCalls: new Int32Array([5, 9]),
    });
    expectClose(accuracy, [0, 1]);
    expectClose(tool, [0, 0.1]); // incorrect → 0; correct, T=9 → 1/10
    expect(Array.from(correct)).toEqual([0, 1]);
  });

  it("gives empty arrays for an empty batch", () => {
    const { accuracy, tool, correct } = rolloutRewards({ answerScores: [], formatScores: [], toolCalls: [] });
    expect(accuracy).toHaveLength(0);
    expect(tool).toHaveLength(0);
    expect(correct).toHaveLength(0);
  });

  it("agrees with the scalar functions element by element", () => {
    const rollout = fc.record({
      answerScore: fc.double({ min: 0, max: 1, noNaN: true }),
      formatScore: fc.double({ min: 0, max: 1, noNaN: true }),
      toolCalls: fc.nat(10),
    });
    fc.assert(
      fc.property(fc.array(rollout, { maxLength: 32 }), (rollouts) => {
        const rewards = rolloutRewards({
          answerScores: rollouts.map((r) => r.answerScore),
          formatScores: rollouts.map((r) => r.formatScore),
          toolCalls: rollouts.map((r) => r.toolCalls),
        });
        rollouts.forEach((r, i) => {
          expect(rewards.accuracy[i]).toBe(accuracyReward(r.answerScore, r.formatScore));
          expect(rewards.tool[i]).toBe(toolReward(isCorrect(r.answerScore), r.toolCalls));
          expect(rewards.correct[i]).toBe(r.answerScore > 0 ? 1 : 0);
        });
      }),
    );
  });

  it("reports all three lengths when they differ", () => {
    expect(() =>
      rolloutRewards({ answerScores: [1, 0], formatScores: [1, 1], toolCalls: [0, 1, 2] }),
    ).toThrow(
      "rolloutRewards: answerScores, formatScores and toolCalls must have one entry per rollout, but their " +
        "lengths are 2, 2 and 3.",
    );
  });

  it("names the array and index of a bad score", () => {
    expect(() =>
      rolloutRewards({ answerScores: [1, 0], formatScores: [1, Number.NaN], toolCalls: [0, 1] }),
    ).toThrow(RewardsError);
    expect(() =>
      rolloutRewards({ answerScores: [1, 0], formatScores: [1, Number.NaN], toolCalls: [0, 1] }),
    ).toThrow("rolloutRewards: formatScores[1] must be a finite number in [0, 1], got NaN.");
    expect(() =>
      rolloutRewards({ answerScores: [1, 0, 2], formatScores: [1, 1, 1], toolCalls: [0, 1, 2] }),
    ).toThrow("rolloutRewards: answerScores[2] must be a finite number in [0, 1], got 2.");
  });

  it("names the index of a bad tool-call count", () => {
    expect(() => rolloutRewards({ answerScores: [1, 1], formatScores: [1, 1], toolCalls: [0, -1] })).toThrow(
      "rolloutRewards: toolCalls[1] must be a non-negative integer (the number of tool requests the rollout " +
        "sent), got -1.",
    );
  });

  it("reports a hole in a sparse array as undefined", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
    const answerScores = [1, , 0] as number[];
    expect(() => rolloutRewards({ answerScores, formatScores: [1, 1, 1], toolCalls: [0, 0, 0] })).toThrow(
      "rolloutRewards: answerScores[1] must be a finite number in [0, 1], got undefined.",
    );
  });

  it("rejects a field that is not an array", () => {
    expect(() =>
      rolloutRewards({
        answerScores: "10",
        formatScores: [1, 1],
        toolCalls: [0, 0],
      } as unknown as RolloutScores),
    ).toThrow(
      'rolloutRewards: answerScores must be an array or typed array with one number per rollout, got "10" (a string).',
    );
    expect(() =>
      rolloutRewards({ answerScores: [1], formatScores: [1] } as unknown as RolloutScores),
    ).toThrow(
      "rolloutRewards: toolCalls must be an array or typed array with one number per rollout, got undefined.",
    );
  });

  it("rejects a missing input object", () => {
    expect(() => rolloutRewards(undefined as unknown as RolloutScores)).toThrow(
      "rolloutRewards: expected an object { answerScores, formatScores, toolCalls }, got undefined.",
    );
  });
});
