import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdvantagesError } from "./advantages-error";
import { expectAllClose } from "./assert-close";
import { grpoAdvantages } from "./grpo-advantages";
import { referenceGrpoLoop } from "./reference-port";

const EPS = 1e-6;

describe("grpoAdvantages: hand-computed", () => {
  it("standardises a group with the unbiased std and ε added to the std", () => {
    // mean = 0.5; Σ(r − mean)² = 4·0.25 = 1; unbiased var = 1/3; std = 0.5773502691896258
    // A = ±0.5 / (0.5773502691896258 + 1e-6) = ±0.8660239037870368
    const a = grpoAdvantages([1, 0, 0, 1], ["p", "p", "p", "p"]);
    expectAllClose(a, [0.8660239037870368, -0.8660239037870368, -0.8660239037870368, 0.8660239037870368]);
  });

  it("gives a size-1 group r/(1 + ε), not 0 (the reference's mean 0, std 1)", () => {
    // 0.7 / (1 + 1e-6) = 0.6999993000007
    expectAllClose(grpoAdvantages([0.7], ["solo"]), [0.6999993000007]);
    expect(grpoAdvantages([0], ["solo"])[0]).toBe(0);
  });

  it("groups interleaved string and numeric ids, keeping '1' and 1 apart", () => {
    // "a": [1, 0] → mean 0.5, std √0.5 → ±0.5/(0.7071067811865476 + 1e-6) = ±0.7071057811879616
    // 1: [2, 4] → mean 3, std √2 → ∓1/(1.4142135623730951 + 1e-6) = ∓0.7071062811869011
    // "1": [5] alone → 5/(1 + 1e-6) = 4.999995000005001; "b": [3] alone → 2.9999970000030003
    const ids = ["a", 1, "a", "1", 1, "b"];
    const a = grpoAdvantages([1, 2, 0, 5, 4, 3], ids);
    expectAllClose(
      a,
      [
        0.7071057811879616, -0.7071062811869011, -0.7071057811879616, 4.999995000005001, 0.7071062811869011,
        2.9999970000030003,
      ],
    );
  });

  it("centres without dividing when normalizeByStd is false (size-1 groups keep r)", () => {
    // group x: [1, 0, 0] → mean 1/3 → [2/3, −1/3, −1/3]; group y: [0.4] alone → mean 0 → 0.4
    const a = grpoAdvantages([1, 0, 0.4, 0], ["x", "x", "y", "x"], { normalizeByStd: false });
    expectAllClose(a, [2 / 3, -1 / 3, 0.4, -1 / 3], 1e-15);
  });

  it("uses the given epsilon", () => {
    // [1, 0]: std = √0.5; ε = 0.5 → 0.5/(0.7071067811865476 + 0.5) = 0.41421356237309503
    expectAllClose(
      grpoAdvantages([1, 0], [7, 7], { epsilon: 0.5 }),
      [0.41421356237309503, -0.41421356237309503],
    );
  });

  it("gives exactly 0 to a group of equal rewards, even where Σr/n is off by an ulp", () => {
    // Why the pivot matters: (0.1 + 0.1 + 0.1)/3 is 0.10000000000000002, not 0.1.
    expect((0.1 + 0.1 + 0.1) / 3).not.toBe(0.1);
    for (const value of [0.1, 1 / 3, 1 / 7, 0.9 + 0.1 * 0.3, 1e6 / 3]) {
      for (const size of [2, 3, 7, 16]) {
        const a = grpoAdvantages(new Array(size).fill(value), new Array(size).fill("g"));
        for (const x of a) expect(Object.is(x, 0)).toBe(true);
      }
    }
  });

  it("returns an empty array for an empty batch", () => {
    expect(grpoAdvantages([], [])).toEqual(new Float64Array(0));
  });

  it("accepts typed arrays", () => {
    const a = grpoAdvantages(new Float32Array([1, 0]), new Int32Array([3, 3]));
    expectAllClose(a, [0.7071057811879616, -0.7071057811879616]);
  });
});

describe("grpoAdvantages: errors", () => {
  it("names both lengths on a mismatch", () => {
    expect(() => grpoAdvantages([1, 2, 3], ["a", "a"])).toThrow(
      /groupIds has 2 entries but rewards has 3; pass one entry per rollout/,
    );
  });

  it("names the index of a non-finite reward", () => {
    expect(() => grpoAdvantages([1, Number.NaN], ["a", "a"])).toThrow(/rewards\[1\] is NaN/);
    expect(() => grpoAdvantages([Number.POSITIVE_INFINITY], ["a"])).toThrow(/rewards\[0\] is Infinity/);
    expect(() => grpoAdvantages(["1" as unknown as number], ["a"])).toThrow(/rewards\[0\] is "1"/);
  });

  it("rejects epsilon ≤ 0 or non-finite, and a non-boolean normalizeByStd", () => {
    for (const epsilon of [0, -1e-6, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => grpoAdvantages([1], ["a"], { epsilon })).toThrow(/epsilon must be a finite number > 0/);
    }
    expect(() => grpoAdvantages([1], ["a"], { normalizeByStd: 1 as unknown as boolean })).toThrow(
      /normalizeByStd must be true or false/,
    );
  });

  it("rejects group ids that are neither strings nor finite numbers", () => {
    expect(() => grpoAdvantages([1, 2], ["a", undefined as unknown as string])).toThrow(
      /groupIds\[1\] is undefined; a group id must be a string or a finite number/,
    );
    expect(() => grpoAdvantages([1], [Number.NaN])).toThrow(/groupIds\[0\] is NaN/);
    expect(() => grpoAdvantages([1], [{} as unknown as string])).toThrow(
      /groupIds\[0\] is a value of type object/,
    );
  });

  it("rejects a missing rewards array", () => {
    expect(() => grpoAdvantages(undefined as unknown as number[], [])).toThrow(/rewards is missing/);
  });

  it("throws rather than returning NaN when a group's statistics overflow", () => {
    expect(() => grpoAdvantages([1e308, -1e308], ["a", "a"])).toThrow(
      /rewards of group "a" are too large to standardise/,
    );
    // Unnormalised too: (1e300 − 0)² overflows although every r − mean is finite.
    expect(() => grpoAdvantages([1e300, -1e300, 0], [5, 5, 5], { normalizeByStd: false })).toThrow(
      /rewards of group 5 are too large/,
    );
  });

  it("throws AdvantagesError", () => {
    expect(() => grpoAdvantages([1], [])).toThrow(AdvantagesError);
  });
});

// Rewards on a 1/16 grid: two different values differ by ≥ 1/16, so a group's std is either exactly 0
// or ≥ 1/64 (n ≤ 16), which keeps rounding far below the 1e-9 tolerance of the properties.
const gridReward = fc.integer({ min: -32, max: 32 }).map((k) => k / 16);
const batch = fc
  .array(fc.record({ reward: gridReward, group: fc.integer({ min: 0, max: 5 }) }), {
    minLength: 1,
    maxLength: 64,
  })
  .map((rows) => ({ rewards: rows.map((r) => r.reward), groupIds: rows.map((r) => `g${r.group}`) }));

function groupsOf(groupIds: readonly string[]): Map<string, number[]> {
  const members = new Map<string, number[]>();
  groupIds.forEach((id, i) => {
    members.set(id, [...(members.get(id) ?? []), i]);
  });
  return members;
}

describe("grpoAdvantages: properties", () => {
  it("matches a line-by-line port of the reference loop", () => {
    fc.assert(
      fc.property(batch, fc.boolean(), ({ rewards, groupIds }, normalizeByStd) => {
        expectAllClose(
          grpoAdvantages(rewards, groupIds, { normalizeByStd }),
          referenceGrpoLoop(rewards, groupIds, EPS, normalizeByStd),
        );
      }),
    );
  });

  it("sums to ~0 within every group of size ≥ 2", () => {
    fc.assert(
      fc.property(batch, ({ rewards, groupIds }) => {
        const a = grpoAdvantages(rewards, groupIds);
        for (const rows of groupsOf(groupIds).values()) {
          if (rows.length < 2) continue;
          expect(Math.abs(rows.reduce((s, i) => s + a[i], 0))).toBeLessThan(1e-9);
        }
      }),
    );
  });

  it("is invariant to shifting all rewards of one group by a constant", () => {
    fc.assert(
      fc.property(batch, fc.integer({ min: -64, max: 64 }), ({ rewards, groupIds }, k) => {
        const shift = k / 8;
        const target = groupIds[0];
        const shifted = rewards.map((r, i) => (groupIds[i] === target ? r + shift : r));
        const before = grpoAdvantages(rewards, groupIds);
        const after = grpoAdvantages(shifted, groupIds);
        // Size-1 groups are not shift-invariant by the reference's rule (mean 0): r/(1+ε) moves with r.
        const size = groupIds.filter((id) => id === target).length;
        if (size === 1) expectAllClose([after[0] - before[0]], [shift / (1 + EPS)]);
        else expectAllClose(after, before);
      }),
    );
  });

  it("is invariant to scaling a group's rewards by c > 0 when ε is negligible", () => {
    // With ε = 1e-15 and std ≥ 1/64, the ε term changes A by at most |A|·ε/std·|1 − 1/c| < 4·1e-15·64·4
    // ≈ 1e-12; tolerance 1e-9. Size-1 groups scale with r (A = c·r/(1+ε)), so they are left out.
    fc.assert(
      fc.property(batch, fc.double({ min: 0.25, max: 64, noNaN: true }), ({ rewards, groupIds }, c) => {
        const options = { epsilon: 1e-15 };
        const before = grpoAdvantages(rewards, groupIds, options);
        const after = grpoAdvantages(
          rewards.map((r) => r * c),
          groupIds,
          options,
        );
        const sizes = groupsOf(groupIds);
        const keep = groupIds.map((id) => sizes.get(id)!.length >= 2);
        expectAllClose(
          after.filter((_, i) => keep[i]),
          before.filter((_, i) => keep[i]),
        );
      }),
    );
  });

  it("permuting the batch permutes the advantages", () => {
    const withPermutation = batch.chain((b) =>
      fc.shuffledSubarray([...b.rewards.keys()], { minLength: b.rewards.length }).map((p) => ({ ...b, p })),
    );
    fc.assert(
      fc.property(withPermutation, ({ rewards, groupIds, p }) => {
        const a = grpoAdvantages(rewards, groupIds);
        const permuted = grpoAdvantages(
          p.map((i) => rewards[i]),
          p.map((i) => groupIds[i]),
        );
        expectAllClose(
          permuted,
          p.map((i) => a[i]),
        );
      }),
    );
  });
});
