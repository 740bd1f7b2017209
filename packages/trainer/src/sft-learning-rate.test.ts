import { describe, expect, it } from "vitest";
import { sftLearningRate } from "./sft-learning-rate";
import { parseTrainerConfig } from "./trainer-config";

const settings = (overrides: Record<string, unknown>) =>
  parseTrainerConfig({ sft: { steps: 101, ...overrides } }).sft;

describe("sftLearningRate", () => {
  it("is the configured rate at every step by default", () => {
    const sft = settings({ learningRate: 2e-3 });
    expect([0, 50, 100].map((step) => sftLearningRate(sft, step))).toEqual([2e-3, 2e-3, 2e-3]);
  });

  it("warms up linearly, starting above zero", () => {
    const sft = settings({ learningRate: 1e-3, warmupSteps: 4 });
    expect([0, 1, 2, 3, 4].map((step) => sftLearningRate(sft, step))).toEqual([
      2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3,
    ]);
  });

  it("decays along a cosine from the peak to the floor at the last step", () => {
    const sft = settings({
      learningRate: 1e-3,
      warmupSteps: 1,
      schedule: "cosine",
      minLearningRateRatio: 0.2,
    });
    expect(sftLearningRate(sft, 1)).toBeCloseTo(1e-3, 15);
    // Half-way through the decay (step 1 + 99/2) the rate is the mean of peak and floor.
    expect(sftLearningRate(sft, 50.5)).toBeCloseTo(0.6e-3, 15);
    expect(sftLearningRate(sft, 100)).toBeCloseTo(0.2e-3, 15);
    const rates = Array.from({ length: 100 }, (_, i) => sftLearningRate(sft, i + 1));
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThanOrEqual(rates[i - 1]!);
  });

  it("rejects a floor outside [0, 1]", () => {
    expect(() => settings({ minLearningRateRatio: 1.5 })).toThrow(/sft.minLearningRateRatio/);
  });
});
