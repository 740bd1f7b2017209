import { describe, expect, it } from "vitest";
import { aggregateRepro } from "./aggregate-repro";
import {
  claimCoupledDilemma,
  claimHdpoEfficiency,
  claimImplicitCurriculum,
  claimWToolAblation,
  evaluateClaims,
  pearson,
} from "./repro-claims";
import { REPRO_METHODS } from "./repro-methods";
import { type EvalNumbers, reproRun, type StepNumbers } from "./repro-test-data";

const SEEDS = [0, 1, 2];
const SFT: EvalNumbers = {
  accuracy: 0.5,
  toolRateUnnecessary: 0.95,
  toolRateNecessary: 1,
  accuracyNecessary: 0.5,
};

/** ρ rising with accuracy over 8 steps, as the paper describes. */
const RISING: StepNumbers[] = [0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.5, 0.6].map((accuracy) => ({
  accuracy,
  rho: accuracy * 0.8,
}));

type MethodNumbers = { final: EvalNumbers | ((seed: number) => EvalNumbers); steps?: StepNumbers[] };

/** A paper-like study: every claim holds. Tests change one method at a time. */
const PAPER_LIKE: Record<string, MethodNumbers> = {
  // accuracy 0.60 / 0.62 / 0.64 over the seeds: mean 0.62, std 0.02
  grpo: {
    final: (seed) => ({
      accuracy: 0.6 + 0.02 * seed,
      toolRateUnnecessary: 0.9,
      toolRateNecessary: 1,
      accuracyNecessary: 0.6,
    }),
    steps: RISING.map((s) => ({ ...s, rho: 0 })),
  },
  "hdpo-w0.10": { final: { accuracy: 0.55, toolRateUnnecessary: 0.3, toolRateNecessary: 1 }, steps: RISING },
  "hdpo-w0.15": {
    final: { accuracy: 0.65, toolRateUnnecessary: 0.05, toolRateNecessary: 0.95, accuracyNecessary: 0.6 },
    steps: RISING,
  },
  "hdpo-w0.20": {
    final: { accuracy: 0.56, toolRateUnnecessary: 0.02, toolRateNecessary: 0.9 },
    steps: RISING,
  },
  "additive-a0.05": { final: { accuracy: 0.6, toolRateUnnecessary: 0.8, toolRateNecessary: 1 } },
  "additive-a1": {
    final: { accuracy: 0.4, toolRateUnnecessary: 0.1, toolRateNecessary: 0.7, accuracyNecessary: 0.4 },
  },
  "per-call-a0.3": { final: { accuracy: 0.3, toolRateUnnecessary: 0, toolRateNecessary: 0.5 } },
};

function study(changes: Record<string, MethodNumbers | undefined> = {}, sft: EvalNumbers = SFT) {
  const spec = { ...PAPER_LIKE, ...changes };
  const methods = REPRO_METHODS.filter((m) => spec[m.name] !== undefined);
  const runs = SEEDS.flatMap((seed) =>
    methods.map((m, i) => {
      const numbers = spec[m.name]!;
      return reproRun({
        seed,
        method: m.name,
        ownSft: i === 0,
        sft,
        final: typeof numbers.final === "function" ? numbers.final(seed) : numbers.final,
        steps: numbers.steps ?? [],
      });
    }),
  );
  return aggregateRepro(runs, methods);
}

describe("pearson", () => {
  it("matches the formula and is null for a constant side", () => {
    // x 1,2,3; y 2,4,7: sxy = 5, sxx = 2, syy = 114/9
    expect(
      pearson([
        [1, 2],
        [2, 4],
        [3, 7],
      ]),
    ).toBeCloseTo(5 / Math.sqrt((2 * 114) / 9), 12);
    expect(
      pearson([
        [1, 2],
        [2, 2],
        [3, 2],
      ]),
    ).toBeNull();
    expect(
      pearson([
        [1, 2],
        [null, 4],
        [3, 1],
      ]),
    ).toBeCloseTo(-1, 12);
  });
});

describe("the claims on a paper-like study", () => {
  const claims = evaluateClaims(study());

  it("holds, all four, with the numbers in the evidence", () => {
    expect(claims.map((c) => [c.id, c.verdict])).toEqual([
      [1, "holds"],
      [2, "holds"],
      [3, "holds"],
      [4, "holds"],
    ]);
    for (const c of claims) expect(c.why).toBeUndefined();
    // 0.95 / 0.05 = 19×
    expect(claims[1]!.evidence).toContain("a cut of 19.0×");
    expect(claims[1]!.evidence).toContain("GRPO 62.0% ± 2.0");
    expect(claims[3]!.evidence).toContain("best accuracy at w_tool 0.15");
  });
});

describe("claim 1: the coupled dilemma", () => {
  it("fails when the small α already cuts tool use, and says why", () => {
    const c = claimCoupledDilemma(
      study({
        "additive-a0.05": { final: { accuracy: 0.6, toolRateUnnecessary: 0.4, toolRateNecessary: 1 } },
      }),
    );
    // 0.4 < 0.5 × 0.9
    expect(c.verdict).toBe("fails");
    expect(c.why).toMatch(/cut unnecessary tool use to 40\.0% \(GRPO 90\.0%\).*std/);
  });

  it("fails when the large α keeps necessary tool use", () => {
    const c = claimCoupledDilemma(
      study({
        "additive-a1": {
          final: { accuracy: 0.6, toolRateUnnecessary: 0.1, toolRateNecessary: 1, accuracyNecessary: 0.6 },
        },
      }),
    );
    expect(c.verdict).toBe("fails");
    expect(c.why).toMatch(/gated bonus goes to correct rollouts only/);
  });

  it("is inconclusive without both additive runs", () => {
    expect(claimCoupledDilemma(study({ "additive-a1": undefined })).verdict).toBe("inconclusive");
  });
});

describe("claim 2: HDPO's efficiency", () => {
  it("fails below a 10× cut, naming ρ", () => {
    const c = claimHdpoEfficiency(
      study({
        "hdpo-w0.15": {
          final: { accuracy: 0.65, toolRateUnnecessary: 0.19, toolRateNecessary: 1 },
          steps: RISING,
        },
      }),
    );
    // 0.95 / 0.19 = 5×
    expect(c.verdict).toBe("fails");
    expect(c.evidence).toContain("a cut of 5.0×");
    expect(c.why).toMatch(/ρ averaged 0\.28/); // mean of RISING's ρ: 0.8 × 2.8 / 8
  });

  it("counts HDPO at zero unnecessary tool use as an infinite cut", () => {
    const c = claimHdpoEfficiency(
      study({
        "hdpo-w0.15": {
          final: { accuracy: 0.65, toolRateUnnecessary: 0, toolRateNecessary: 1 },
          steps: RISING,
        },
      }),
    );
    expect(c.verdict).toBe("holds");
    expect(c.evidence).toContain("a cut of ∞×");
  });

  it("blames the accuracy channel when necessary tool use falls though no necessary task was ever right", () => {
    const never = { ...SFT, accuracyNecessary: 0 };
    const aggregates = study(
      {
        "hdpo-w0.15": {
          final: { accuracy: 0.65, toolRateUnnecessary: 0, toolRateNecessary: 0.3, accuracyNecessary: 0 },
          steps: RISING,
        },
      },
      never,
    );
    const c = claimHdpoEfficiency(aggregates);
    expect(c.verdict).toBe("fails");
    expect(c.why).toMatch(
      /necessary tool use fell to 30\.0% .*the accuracy channel did it.*r_acc = 0\.1·r_fmt/,
    );
    expect(c.why).not.toMatch(/lucky guess/);
    // With dynamic sampling those all-wrong groups were skipped: the explanation says so instead.
    const skipped = claimHdpoEfficiency(aggregates, { dynamicSampling: true });
    expect(skipped.why).toMatch(/necessary tool use fell to 30\.0% .*dynamic sampling skips/);
    expect(skipped.why).not.toMatch(/r_fmt/);
  });

  it("fails when accuracy is below GRPO's by more than GRPO's std", () => {
    const c = claimHdpoEfficiency(
      study({
        "hdpo-w0.15": {
          final: { accuracy: 0.59, toolRateUnnecessary: 0.05, toolRateNecessary: 1 },
          steps: RISING,
        },
      }),
    );
    // 0.59 < 0.62 − 0.02
    expect(c.verdict).toBe("fails");
    expect(c.why).toMatch(/below GRPO's/);
  });

  it("is inconclusive when no run was ever right", () => {
    const zero: MethodNumbers = {
      final: { accuracy: 0, toolRateUnnecessary: 0.9, toolRateNecessary: 1 },
      steps: [{ accuracy: 0, rho: 0 }],
    };
    const aggregates = study(Object.fromEntries(Object.keys(PAPER_LIKE).map((name) => [name, zero])), {
      ...SFT,
      accuracy: 0,
    });
    const claims = evaluateClaims(aggregates);
    expect(claims.map((c) => c.verdict)).toEqual([
      "inconclusive",
      "inconclusive",
      "inconclusive",
      "inconclusive",
    ]);
    expect(claims[1]!.why).toMatch(/no rollout and no test answer was correct/);
  });
});

describe("claim 3: the implicit curriculum", () => {
  it("fails when ρ falls as accuracy rises, and says why", () => {
    const falling = RISING.map((s, i) => ({ ...s, rho: 0.6 - 0.05 * i, toolUnnecessary: 1 - 0.1 * i }));
    const c = claimImplicitCurriculum(
      study({ "hdpo-w0.15": { final: PAPER_LIKE["hdpo-w0.15"]!.final, steps: falling } }),
    );
    expect(c.verdict).toBe("fails");
    expect(c.why).toMatch(/Accuracy rose, but/);
  });

  it("is inconclusive with fewer than 4 steps or ρ always 0", () => {
    const short = claimImplicitCurriculum(
      study({ "hdpo-w0.15": { final: PAPER_LIKE["hdpo-w0.15"]!.final, steps: RISING.slice(0, 2) } }),
    );
    expect(short.verdict).toBe("inconclusive");
    expect(short.why).toMatch(/only 2 RL steps/);
    const flat = claimImplicitCurriculum(
      study({
        "hdpo-w0.15": {
          final: PAPER_LIKE["hdpo-w0.15"]!.final,
          steps: RISING.map((s) => ({ ...s, rho: 0 })),
        },
      }),
    );
    expect(flat.verdict).toBe("inconclusive");
    expect(flat.why).toMatch(/ρ was 0 at every step/);
  });
});

describe("claim 4: the w_tool ablation", () => {
  it("fails when an end is best beyond the seed spread", () => {
    const c = claimWToolAblation(
      study({ "hdpo-w0.20": { final: { accuracy: 0.9, toolRateUnnecessary: 0.02 }, steps: RISING } }),
    );
    expect(c.verdict).toBe("fails");
    expect(c.evidence).toContain("best accuracy at w_tool 0.20");
  });

  it("is inconclusive when the middle wins by less than the spread", () => {
    // hdpo-w0.15 at 0.63 beats GRPO's 0.62 by 1 point, within GRPO's std of 2 points
    const c = claimWToolAblation(
      study({ "hdpo-w0.15": { final: { accuracy: 0.63, toolRateUnnecessary: 0.05 }, steps: RISING } }),
    );
    expect(c.verdict).toBe("inconclusive");
    expect(c.why).toMatch(/within the seed spread/);
  });

  it("documents whether unnecessary tool use falls with w_tool", () => {
    expect(claimWToolAblation(study()).evidence).toContain("falls monotonically");
    const c = claimWToolAblation(
      study({ "hdpo-w0.20": { final: { accuracy: 0.56, toolRateUnnecessary: 0.5 }, steps: RISING } }),
    );
    expect(c.evidence).toContain("does not fall monotonically");
  });
});
