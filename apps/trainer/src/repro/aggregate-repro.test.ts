import { describe, expect, it } from "vitest";
import { aggregateRepro, seedStat } from "./aggregate-repro";
import { REPRO_METHODS, selectReproMethods } from "./repro-methods";
import { reproRun } from "./repro-test-data";

describe("seedStat", () => {
  it("gives the mean and the sample (n − 1) std", () => {
    const s = seedStat([0.2, 0.4]);
    expect(s.mean).toBeCloseTo(0.3, 12);
    // deviations ±0.1: sqrt((0.01 + 0.01) / 1) = 0.141421…
    expect(s.std).toBeCloseTo(Math.SQRT2 / 10, 12);
    expect(s.n).toBe(2);
  });

  it("leaves nulls out of both and has no std for one value", () => {
    // 0.1, 0.4, 0.7: mean 0.4; deviations −0.3, 0, 0.3 → sqrt(0.18 / 2) = 0.3
    const s = seedStat([0.1, null, 0.4, 0.7]);
    expect(s.mean).toBeCloseTo(0.4, 12);
    expect(s.std).toBeCloseTo(0.3, 12);
    expect(s.values).toEqual([0.1, null, 0.4, 0.7]);
    expect(seedStat([0.5, null])).toMatchObject({ mean: 0.5, std: null, n: 1 });
    expect(seedStat([null, null])).toMatchObject({ mean: null, std: null, n: 0 });
  });
});

describe("aggregateRepro", () => {
  const methods = selectReproMethods(["grpo", "hdpo-w0.15", "additive-a1"]);
  const runs = [
    reproRun({
      seed: 0,
      method: "grpo",
      ownSft: true,
      wallTimeS: 100,
      sft: { accuracy: 0.5, toolRateUnnecessary: 1 },
      final: { accuracy: 0.6, toolRateUnnecessary: 0.8, meanToolCalls: 1 },
      steps: [
        { accuracy: 0.2, rho: 0, toolUnnecessary: 1, toolNecessary: 1 },
        { accuracy: 0.4, rho: 0, toolUnnecessary: 0.5, toolNecessary: null },
      ],
    }),
    reproRun({
      seed: 1,
      method: "grpo",
      ownSft: true,
      wallTimeS: 120,
      sft: { accuracy: 0.3, toolRateUnnecessary: 0.9 },
      final: { accuracy: 0.4, toolRateUnnecessary: null, meanToolCalls: 2 },
      steps: [
        { accuracy: 0.6, rho: 0, toolUnnecessary: 0, toolNecessary: 1 },
        { accuracy: null, rho: 0, toolUnnecessary: null, toolNecessary: null },
      ],
    }),
    reproRun({
      seed: 0,
      method: "hdpo-w0.15",
      wallTimeS: 30,
      sft: { accuracy: 0.5, toolRateUnnecessary: 1 },
      final: { accuracy: 0.7, toolRateUnnecessary: 0.1 },
      steps: [{ accuracy: 0.2, rho: 0.1 }],
    }),
    reproRun({
      seed: 1,
      method: "hdpo-w0.15",
      wallTimeS: 40,
      sft: { accuracy: 0.3, toolRateUnnecessary: 0.9 },
      final: { accuracy: 0.5, toolRateUnnecessary: 0.3 },
      steps: [{ accuracy: 0.4, rho: 0.3 }],
    }),
  ];
  const aggregates = aggregateRepro(runs, methods);

  it("takes mean ± std over seeds per method and leaves out methods that never ran", () => {
    expect(aggregates.seeds).toEqual([0, 1]);
    expect(aggregates.methods.map((m) => m.name)).toEqual(["grpo", "hdpo-w0.15"]);
    const [grpo, hdpo] = aggregates.methods;
    expect(grpo!.final.accuracy.mean).toBeCloseTo(0.5, 12);
    expect(grpo!.final.accuracy.std).toBeCloseTo(Math.SQRT2 / 10, 12);
    expect(grpo!.final.toolRateUnnecessary).toMatchObject({ mean: 0.8, std: null, n: 1 });
    expect(grpo!.final.meanToolCalls.mean).toBeCloseTo(1.5, 12);
    expect(grpo!.final.meanToolCalls.std).toBeCloseTo(Math.SQRT1_2, 12); // 1, 2 → sqrt(0.5)
    expect(hdpo!.final.toolRateUnnecessary.mean).toBeCloseTo(0.2, 12);
    expect(hdpo!.weight).toBe(0.15);
    expect(grpo!.weight).toBe(0);
  });

  it("takes the SFT start once per seed", () => {
    expect(aggregates.sft.accuracy.values).toEqual([0.5, 0.3]);
    expect(aggregates.sft.accuracy.mean).toBeCloseTo(0.4, 12);
    expect(aggregates.sft.toolRateUnnecessary.mean).toBeCloseTo(0.95, 12);
  });

  it("averages the curves per step over the seeds that have a value", () => {
    const grpo = aggregates.methods[0]!.curve;
    expect(grpo.map((p) => p.step)).toEqual([0, 1]);
    expect(grpo[0]!.accuracy).toBeCloseTo(0.4, 12);
    expect(grpo[0]!.toolRateUnnecessary).toBeCloseTo(0.5, 12);
    expect(grpo[1]!.accuracy).toBeCloseTo(0.4, 12); // seed 1 is null there
    expect(grpo[1]!.toolRateNecessary).toBeNull();
    expect(aggregates.methods[1]!.curve[0]!.rho).toBeCloseTo(0.2, 12);
  });

  it("keeps each method's wall time over seeds", () => {
    const grpo = aggregates.methods[0]!.wallTimeS;
    expect(grpo.mean).toBe(110);
    expect(grpo.std).toBeCloseTo(Math.sqrt(200), 12); // 100, 120: (100 + 100) / 1
  });

  it("sums the compute", () => {
    expect(aggregates.compute).toMatchObject({
      runs: 4,
      totalWallTimeS: 290,
      wallTimeSByMethod: { grpo: 220, "hdpo-w0.15": 70 },
      sftRuns: 2,
      sftSteps: 12,
      rlSteps: 6,
      rollouts: 48,
      backends: ["wasm"],
    });
  });
});

describe("selectReproMethods", () => {
  it("keeps the given order and refuses unknown or repeated names", () => {
    expect(selectReproMethods().map((m) => m.name)).toEqual(REPRO_METHODS.map((m) => m.name));
    expect(selectReproMethods(["per-call-a0.3", "grpo"]).map((m) => m.name)).toEqual([
      "per-call-a0.3",
      "grpo",
    ]);
    expect(() => selectReproMethods(["grpo", "ppo"])).toThrow(/unknown method "ppo": use some of grpo, /);
    expect(() => selectReproMethods(["grpo", "grpo"])).toThrow(/named twice/);
  });
});
