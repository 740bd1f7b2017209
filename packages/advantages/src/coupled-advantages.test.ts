import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectAllClose } from "./assert-close";
import { COUPLED_KINDS, type CoupledKind, coupledAdvantages } from "./coupled-advantages";
import { grpoAdvantages } from "./grpo-advantages";

// One group: two correct rollouts (T = 0 and T = 3) and one incorrect (T = 1), format 1 everywhere.
const input = {
  accuracyRewards: [1, 1, 0.1],
  correct: [true, true, false],
  toolCalls: [0, 3, 1],
  groupIds: ["q", "q", "q"],
};

describe("coupledAdvantages: hand-computed", () => {
  it("additive-gated adds α/(T+1) to correct rollouts only", () => {
    // α = 0.4: r = [1 + 0.4, 1 + 0.4/4, 0.1] = [1.4, 1.1, 0.1]: mean 13/15 = 0.8666…,
    // d = [0.5333…, 0.2333…, −0.7666…], Σd² = 0.9266…, var = 0.4633…, std = 0.680686... → A = d/(std + 1e-6)
    const mean = 2.6 / 3;
    const d = [1.4 - mean, 1.1 - mean, 0.1 - mean];
    const std = Math.sqrt((d[0] ** 2 + d[1] ** 2 + d[2] ** 2) / 2);
    expectAllClose(
      coupledAdvantages("additive-gated", input, 0.4),
      d.map((x) => x / (std + 1e-6)),
    );
    expectAllClose(
      coupledAdvantages("additive-gated", input, 0.4),
      grpoAdvantages([1.4, 1.1, 0.1], ["q", "q", "q"]),
    );
  });

  it("additive-ungated adds α/(T+1) to every rollout", () => {
    // α = 0.4: r = [1.4, 1.1, 0.1 + 0.4/2] = [1.4, 1.1, 0.3]
    expectAllClose(
      coupledAdvantages("additive-ungated", input, 0.4),
      grpoAdvantages([1.4, 1.1, 0.3], ["q", "q", "q"]),
    );
  });

  it("per-call-penalty subtracts α·T", () => {
    // α = 0.4: r = [1 − 0, 1 − 1.2, 0.1 − 0.4] = [1, −0.2, −0.3]
    expectAllClose(
      coupledAdvantages("per-call-penalty", input, 0.4),
      grpoAdvantages([1, -0.2, -0.3], ["q", "q", "q"]),
    );
  });

  it("α = 0 is plain GRPO of r_acc for every kind", () => {
    for (const kind of COUPLED_KINDS) {
      expectAllClose(
        coupledAdvantages(kind, input, 0),
        grpoAdvantages(input.accuracyRewards, input.groupIds),
        0,
      );
    }
  });

  it("a size-1 group follows GRPO's rule: r/(1 + ε)", () => {
    // per-call-penalty, α = 0.1, T = 2: r = 1 − 0.2 = 0.8 → 0.8/(1 + 1e-6)
    const a = coupledAdvantages(
      "per-call-penalty",
      { accuracyRewards: [1], correct: [true], toolCalls: [2], groupIds: [9] },
      0.1,
    );
    expectAllClose(a, [0.8 / (1 + 1e-6)]);
  });
});

describe("coupledAdvantages: errors", () => {
  it("rejects an unknown kind and a bad alpha", () => {
    expect(() => coupledAdvantages("additive" as CoupledKind, input, 0.1)).toThrow(
      /unknown coupled kind "additive"; use one of additive-gated, additive-ungated, per-call-penalty/,
    );
    for (const alpha of [-0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => coupledAdvantages("additive-gated", input, alpha)).toThrow(
        /alpha must be a finite number ≥ 0/,
      );
    }
  });

  it("rejects bad tool-call counts and mismatched lengths", () => {
    expect(() => coupledAdvantages("per-call-penalty", { ...input, toolCalls: [0, 1, -2] }, 0.1)).toThrow(
      /toolCalls\[2\] is -2/,
    );
    expect(() => coupledAdvantages("per-call-penalty", { ...input, correct: [true] }, 0.1)).toThrow(
      /correct has 1 entries but accuracyRewards has 3/,
    );
  });
});

describe("coupledAdvantages: properties", () => {
  const rows = fc.array(
    fc.record({
      group: fc.constantFrom("a", "b", 3),
      correct: fc.boolean(),
      t: fc.integer({ min: 0, max: 5 }),
    }),
    { minLength: 1, maxLength: 48 },
  );

  it("is GRPO of the coupled reward for every kind", () => {
    fc.assert(
      fc.property(
        rows,
        fc.constantFrom(...COUPLED_KINDS),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (b, kind, alpha) => {
          const accuracyRewards = b.map((r) => (r.correct ? 1 : 0.1));
          const coupled = b.map((r, i) => {
            if (kind === "additive-gated")
              return accuracyRewards[i] + alpha * (r.correct ? 1 / (r.t + 1) : 0);
            if (kind === "additive-ungated") return accuracyRewards[i] + alpha / (r.t + 1);
            return accuracyRewards[i] - alpha * r.t;
          });
          const groupIds = b.map((r) => r.group);
          const a = coupledAdvantages(
            kind,
            { accuracyRewards, correct: b.map((r) => r.correct), toolCalls: b.map((r) => r.t), groupIds },
            alpha,
          );
          // The coupled rewards above are computed with the same operations, so the results agree exactly.
          expectAllClose(a, grpoAdvantages(coupled, groupIds), 0);
        },
      ),
    );
  });
});
