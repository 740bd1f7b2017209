import { describe, expect, it } from "vitest";
import { mulberry32 } from "./mulberry32";
import { simulateBatch } from "./simulate-batch";

describe("simulateBatch", () => {
  it("is reproducible from the seed", () => {
    const a = simulateBatch({ prompts: 5, groupSize: 4, random: mulberry32(1) });
    const b = simulateBatch({ prompts: 5, groupSize: 4, random: mulberry32(1) });
    expect(a).toEqual(b);
    expect(simulateBatch({ prompts: 5, groupSize: 4, random: mulberry32(2) })).not.toEqual(a);
  });

  it("derives the rewards from the verdict and T as the spec says", () => {
    const batch = simulateBatch({ prompts: 50, groupSize: 16, random: mulberry32(3) });
    expect(batch.groupIds).toHaveLength(800);
    batch.correct.forEach((correct, i) => {
      expect(batch.accuracyRewards[i]).toBeCloseTo(correct ? 1 : 0.1, 15);
      expect(batch.toolRewards[i]).toBe(correct ? 1 / (batch.toolCalls[i] + 1) : 0);
      expect(batch.toolCalls[i]).toBeGreaterThanOrEqual(0);
      expect(batch.toolCalls[i]).toBeLessThanOrEqual(4);
    });
    // The mix the demo relies on: correct rollouts both with and without tools.
    expect(batch.correct.some((c, i) => c && batch.toolCalls[i] === 0)).toBe(true);
    expect(batch.correct.some((c, i) => c && batch.toolCalls[i] > 0)).toBe(true);
  });

  it("holds every prompt at the given accuracy when one is given", () => {
    const batch = simulateBatch({ prompts: 500, groupSize: 16, random: mulberry32(4), accuracy: 0.25 });
    const share = batch.correct.filter(Boolean).length / batch.correct.length;
    // 8000 Bernoulli(0.25) draws: sd ≈ 0.0048, so ±0.03 is over 6 sd.
    expect(Math.abs(share - 0.25)).toBeLessThan(0.03);
  });
});
