import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectAllClose } from "./assert-close";
import { conditionalGrpoAdvantages } from "./conditional-grpo-advantages";
import { grpoAdvantages } from "./grpo-advantages";

describe("conditionalGrpoAdvantages: hand-computed", () => {
  it("standardises over Q only and gives 0 outside Q", () => {
    // Q of group "p" = rows 0, 2, 4 with r = [1, 1/2, 1/4]: mean 7/12, deviations [5/12, −1/12, −4/12],
    // Σd² = 42/144, unbiased var 21/144, std = √21/12 = 0.38188130791298663
    // A = d/(std + 1e-6) = [1.0910865940445866, −0.21821731880891743, −0.8728692752356695]
    // Rows 1 and 3 are outside Q: their rewards (here huge) play no part.
    const a = conditionalGrpoAdvantages(
      [1, 1e300, 0.5, -7, 0.25],
      ["p", "p", "p", "p", "p"],
      [true, false, true, false, true],
    );
    expectAllClose(a, [1.0910865940445866, 0, -0.21821731880891743, 0, -0.8728692752356695]);
    expect(Object.is(a[1], 0) && Object.is(a[3], 0)).toBe(true);
  });

  it("gives 0 to every rollout of a group with |Q| ≤ 1 (unlike GRPO's size-1 rule)", () => {
    const a = conditionalGrpoAdvantages(
      [0.5, 0.2, 0.9, 0.3],
      ["one", "one", "none", "none"],
      [true, false, false, false],
    );
    expect([...a]).toEqual([0, 0, 0, 0]);
    expect(conditionalGrpoAdvantages([0.5], ["solo"], [true])[0]).toBe(0);
  });

  it("gives exactly 0 when all of Q is equal, for values whose Σr/n is inexact", () => {
    for (const value of [0.1, 1 / 3, 1 / 7]) {
      const a = conditionalGrpoAdvantages(
        [value, 0, value, value, 0.123],
        ["g", "g", "g", "g", "g"],
        [true, false, true, true, false],
      );
      for (const x of a) expect(Object.is(x, 0)).toBe(true);
    }
  });

  it("centres over Q without dividing when normalizeByStd is false", () => {
    // Q = rows 0, 1: [1, 0.5] → mean 0.75 → [0.25, −0.25]; row 2 outside Q → 0
    const a = conditionalGrpoAdvantages([1, 0.5, 3], [1, 1, 1], [true, true, false], {
      normalizeByStd: false,
    });
    expectAllClose(a, [0.25, -0.25, 0], 1e-15);
  });
});

describe("conditionalGrpoAdvantages: errors", () => {
  it("rejects a qualifies array of the wrong length or with entries other than true/false/1/0", () => {
    expect(() => conditionalGrpoAdvantages([1, 2], ["a", "a"], [true])).toThrow(
      /qualifies has 1 entries but rewards has 2/,
    );
    expect(() => conditionalGrpoAdvantages([1, 2], ["a", "a"], [true, 2])).toThrow(
      /qualifies\[1\] is 2 \(number\); every entry must be true\/false or 1\/0/,
    );
    expect(() => conditionalGrpoAdvantages([1, 2], ["a", "a"], [true, "yes" as unknown as boolean])).toThrow(
      /qualifies\[1\] is "yes"/,
    );
  });

  it("takes 1/0 flags (a Uint8Array) exactly as booleans", () => {
    const rewards = [0.5, 0.25, 1, 0.2];
    const ids = ["a", "a", "a", "a"];
    const asBooleans = conditionalGrpoAdvantages(rewards, ids, [true, true, false, true]);
    expect(conditionalGrpoAdvantages(rewards, ids, Uint8Array.from([1, 1, 0, 1]))).toEqual(asBooleans);
    expect(asBooleans[2]).toBe(0);
    expect(asBooleans[0]).toBeGreaterThan(0);
  });

  it("still requires finite rewards outside Q", () => {
    expect(() => conditionalGrpoAdvantages([1, Number.NaN], ["a", "a"], [true, false])).toThrow(
      /rewards\[1\] is NaN/,
    );
  });
});

const rows = fc.array(
  fc.record({
    reward: fc.integer({ min: -32, max: 32 }).map((k) => k / 16),
    group: fc.constantFrom("a", "b", 1, 2),
    qualifies: fc.boolean(),
  }),
  { minLength: 1, maxLength: 64 },
);

describe("conditionalGrpoAdvantages: properties", () => {
  it("equals GRPO on the qualifying subset, with groups of one qualifier zeroed", () => {
    fc.assert(
      fc.property(rows, fc.boolean(), (batch, normalizeByStd) => {
        const options = { normalizeByStd };
        const a = conditionalGrpoAdvantages(
          batch.map((r) => r.reward),
          batch.map((r) => r.group),
          batch.map((r) => r.qualifies),
          options,
        );
        const q = batch.filter((r) => r.qualifies);
        const onQ = grpoAdvantages(
          q.map((r) => r.reward),
          q.map((r) => r.group),
          options,
        );
        let k = 0;
        batch.forEach((r, i) => {
          if (!r.qualifies) {
            expect(a[i]).toBe(0);
            return;
          }
          const groupSize = q.filter((s) => s.group === r.group).length;
          expect(Math.abs(a[i] - (groupSize >= 2 ? onQ[k] : 0))).toBeLessThan(1e-9);
          k++;
        });
      }),
    );
  });
});
