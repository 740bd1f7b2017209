import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clippedSurrogateReference, type SurrogateReferenceBatch } from "./clipped-surrogate-reference";
import { LossError } from "./losses-error";
import { AGG_MODES, type AggMode } from "./options";
import { centralDifferences, mulberry32, randomBatch } from "./test-batches";

const TOLERANCE = 1e-9;
const E20 = Math.exp(-20);

function expectClose(actual: number, expected: number, tolerance = TOLERANCE): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

function expectMatrixClose(actual: number[][], expected: number[][], tolerance = TOLERANCE): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, b) => {
    row.forEach((value, t) => {
      expectClose(value, expected[b]![t]!, tolerance);
    });
  });
}

/**
 * The adversarial hand case (clip 0.2/0.2, clipC 3), logProb = old + d with
 *   row 0, A = +1, mask [1,1,1,1]: d = ln1.5, ln0.5, 0, −25
 *     ratio 1.5: pg1 −1.5, pg2 −1.2 → −1.2, clipped (pg2 > pg1), gradient 0
 *     ratio 0.5: pg1 −0.5, pg2 −0.8 → −0.5, not clipped, d/dlogProb = −A·ratio = −0.5
 *     ratio 1:   −1, d/dlogProb = −1
 *     d = −25 clamps to −20: ratio e^−20, pg1 −e^−20 > pg2 −0.8 → −e^−20, gradient 0 (clamped)
 *   row 1, A = −2, mask [1,1,1,0]: d = ln4, ln0.5, ln1.1, 30 (masked)
 *     ratio 4:   pg1 8, pg2 2.4 → 8 > cap 6 → 6, dual-clipped, gradient 0
 *     ratio 0.5: pg1 1, pg2 1.6 → 1.6, clipped, ≤ 6, gradient 0
 *     ratio 1.1: pg1 = pg2 = 2.2 → 2.2, d/dlogProb = 2·1.1 = 2.2
 *   row 2, A = 0.5, mask all 0: wild values (d = 5, −5, 0, 40), no effect
 * Σ mask = 7; row sums: row 0 = −2.7 − e^−20, row 1 = 9.8; total 7.1 − e^−20.
 * clip fraction 2/7, dual-clip fraction 1/7;
 * approx KL = Σ −logRatio / 7 = (−ln1.5 + ln2 + 0 + 20 − ln4 + ln2 − ln1.1) / 7 = (20 − ln1.65) / 7.
 */
const D = [
  [Math.log(1.5), Math.log(0.5), 0, -25],
  [Math.log(4), Math.log(0.5), Math.log(1.1), 30],
  [5, -5, 0, 40],
];
const OLD = [
  [-0.5, -1, -2, -0.25],
  [-3, -0.75, -1.5, -2],
  [-1, -1, -1, -1],
];
const HAND_BATCH: SurrogateReferenceBatch = {
  oldLogProb: OLD,
  logProb: OLD.map((row, b) => row.map((old, t) => old + D[b]![t]!)),
  advantages: [1, -2, 0.5],
  mask: [
    [1, 1, 1, 1],
    [1, 1, 1, 0],
    [0, 0, 0, 0],
  ],
};

/** The per-token gradient of the hand case (before aggregation): −0.5 and −1 in row 0, 2.2 in row 1. */
function handGradient(row0Weight: number, row1Weight: number): number[][] {
  return [
    [0, -0.5 * row0Weight, -1 * row0Weight, 0],
    [0, 0, 2.2 * row1Weight, 0],
    [0, 0, 0, 0],
  ];
}

const HAND_EXPECTED: Record<AggMode, { loss: number; gradient: number[][] }> = {
  // Σ / 7
  "token-mean": { loss: (7.1 - E20) / 7, gradient: handGradient(1 / 7, 1 / 7) },
  // two rows with tokens: (row 0 sum + row 1 sum) / 2
  "seq-mean-token-sum": { loss: (7.1 - E20) / 2, gradient: handGradient(1 / 2, 1 / 2) },
  // (row 0 sum / 4 + row 1 sum / 3) / 2
  "seq-mean-token-mean": {
    loss: ((-2.7 - E20) / 4 + 9.8 / 3) / 2,
    gradient: handGradient(1 / 8, 1 / 6),
  },
  // Σ / L = Σ / 4
  "seq-mean-token-sum-norm": { loss: (7.1 - E20) / 4, gradient: handGradient(1 / 4, 1 / 4) },
};

describe("clippedSurrogateReference on the hand case", () => {
  it.each(AGG_MODES)("%s: loss and gradient", (aggMode) => {
    const result = clippedSurrogateReference(HAND_BATCH, { aggMode });
    expectClose(result.loss, HAND_EXPECTED[aggMode].loss);
    expectMatrixClose(result.gradLogProb, HAND_EXPECTED[aggMode].gradient);
  });

  it("counts clipped and dual-clipped tokens over the mask only, whatever the aggregation", () => {
    for (const aggMode of AGG_MODES) {
      const result = clippedSurrogateReference(HAND_BATCH, { aggMode });
      expectClose(result.clipFraction, 2 / 7);
      expectClose(result.dualClipFraction, 1 / 7);
      expectClose(result.approxKl, (20 - Math.log(1.65)) / 7);
    }
  });

  it("uses the defaults clip 0.2/0.2, clipC 3, token-mean", () => {
    const defaults = clippedSurrogateReference(HAND_BATCH);
    const explicit = clippedSurrogateReference(HAND_BATCH, {
      clipLow: 0.2,
      clipHigh: 0.2,
      clipC: 3,
      aggMode: "token-mean",
    });
    expect(defaults).toEqual(explicit);
    expectClose(defaults.loss, (7.1 - E20) / 7);
  });

  it("gives the same result for [B, L] advantages broadcast by hand, verl-style (A·mask)", () => {
    const perToken = HAND_BATCH.mask.map((row, b) =>
      Array.from(row, (m) => (HAND_BATCH.advantages as number[])[b]! * m),
    );
    expect(clippedSurrogateReference({ ...HAND_BATCH, advantages: perToken })).toEqual(
      clippedSurrogateReference(HAND_BATCH),
    );
  });

  it("takes different clip bounds low and high: with clipLow 0.6, ratio 0.5 is inside [0.4, 1.2]", () => {
    // Row 1 token 1 (A = −2, ratio 0.5): pg1 = pg2 = 1 → 1 instead of 1.6, no longer clipped, gradient
    // 2·0.5 = 1. Row 0 token 1 (A = 1, ratio 0.5) was unclipped already. Total 7.1 − e^−20 − 0.6.
    const result = clippedSurrogateReference(HAND_BATCH, { clipLow: 0.6 });
    expectClose(result.loss, (6.5 - E20) / 7);
    expectClose(result.clipFraction, 1 / 7);
    expectMatrixClose(result.gradLogProb, [
      [0, -0.5 / 7, -1 / 7, 0],
      [0, 1 / 7, 2.2 / 7, 0],
      [0, 0, 0, 0],
    ]);
  });
});

describe("clippedSurrogateReference edge cases", () => {
  it.each(AGG_MODES)(
    "%s: an all-zero mask gives a loss of 0, zero fractions and gradient, never NaN",
    (aggMode) => {
      const result = clippedSurrogateReference(
        {
          ...HAND_BATCH,
          mask: [
            [0, 0, 0, 0],
            [0, 0, 0, 0],
            [0, 0, 0, 0],
          ],
        },
        {
          aggMode,
        },
      );
      expect(result.loss).toBe(0);
      expect(result.clipFraction).toBe(0);
      expect(result.dualClipFraction).toBe(0);
      expect(result.approxKl).toBe(0);
      expect(result.gradLogProb.flat().every((value) => value === 0)).toBe(true);
    },
  );

  it("a ratio exactly on 1 + clipHigh (A > 0) is not clipped and keeps the unclipped gradient −A·ratio", () => {
    const ratio = Math.exp(0.1);
    const clipHigh = ratio - 1;
    expect(1 + clipHigh).toBe(ratio); // the tie is exact in float64
    const result = clippedSurrogateReference(
      { logProb: [[0.1]], oldLogProb: [[0]], advantages: [2], mask: [[1]] },
      { clipHigh },
    );
    expectClose(result.loss, -2 * ratio);
    expect(result.clipFraction).toBe(0);
    expectClose(result.gradLogProb[0]![0]!, -2 * ratio);
  });

  it("a ratio exactly on 1 − clipLow (A < 0) is not clipped and keeps the gradient −A·ratio", () => {
    const ratio = Math.exp(-0.1);
    const clipLow = 1 - ratio;
    expect(1 - clipLow).toBe(ratio);
    const result = clippedSurrogateReference(
      { logProb: [[-0.1]], oldLogProb: [[0]], advantages: [-1.5], mask: [[1]] },
      { clipLow },
    );
    expectClose(result.loss, 1.5 * ratio);
    expect(result.clipFraction).toBe(0);
    expectClose(result.gradLogProb[0]![0]!, 1.5 * ratio);
  });

  it("a loss exactly on the dual-clip cap −A·clipC is not dual-clipped and keeps its gradient", () => {
    const ratio = Math.exp(1.5);
    const result = clippedSurrogateReference(
      { logProb: [[1.5]], oldLogProb: [[0]], advantages: [-1], mask: [[1]] },
      { clipC: ratio },
    );
    expectClose(result.loss, ratio);
    expect(result.dualClipFraction).toBe(0);
    expectClose(result.gradLogProb[0]![0]!, ratio);
  });

  it("a log-ratio of exactly 20 keeps its gradient; 20.5 is clamped to 20 and has none", () => {
    const options = { clipC: 1e9 }; // above e^20 ≈ 4.85e8, so the cap stays out of the way
    const at20 = clippedSurrogateReference(
      { logProb: [[20]], oldLogProb: [[0]], advantages: [-1], mask: [[1]] },
      options,
    );
    expectClose(at20.loss, Math.exp(20), 1e-9 * Math.exp(20));
    expectClose(at20.gradLogProb[0]![0]!, Math.exp(20), 1e-9 * Math.exp(20));
    const beyond = clippedSurrogateReference(
      { logProb: [[20.5]], oldLogProb: [[0]], advantages: [-1], mask: [[1]] },
      options,
    );
    expectClose(beyond.loss, Math.exp(20), 1e-9 * Math.exp(20));
    expect(beyond.gradLogProb[0]![0]).toBe(0);
    expectClose(beyond.approxKl, -20);
  });

  it("a zero advantage gives a zero loss and gradient at any ratio, and counts as neither clip", () => {
    const result = clippedSurrogateReference({
      logProb: [[3, -3]],
      oldLogProb: [[0, 0]],
      advantages: [0],
      mask: [[1, 1]],
    });
    expect(result.loss).toBe(0);
    expect(result.clipFraction).toBe(0);
    expect(result.dualClipFraction).toBe(0);
    expect(result.gradLogProb[0]).toEqual([0, 0]);
  });

  it("accepts typed arrays", () => {
    const result = clippedSurrogateReference({
      logProb: [Float64Array.from([0, Math.log(1.5)])],
      oldLogProb: [new Float32Array(2)],
      advantages: Float64Array.from([1]),
      mask: [Uint8Array.from([1, 1])],
    });
    // (−1 − 1.2) / 2
    expectClose(result.loss, -1.1);
  });
});

describe("clippedSurrogateReference gradient against central finite differences", () => {
  it.each(AGG_MODES)("%s: the analytic gradient matches (h = 1e-6, away from kinks)", (aggMode) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const batch = randomBatch(seed, { rows: 3, columns: 4 });
        const inputs = { ...batch, advantages: batch.accuracyAdvantages };
        const { gradLogProb } = clippedSurrogateReference(inputs, { aggMode });
        const numeric = centralDifferences(
          batch.logProb,
          (logProb) => clippedSurrogateReference({ ...inputs, logProb }, { aggMode }).loss,
        );
        numeric.forEach((row, b) => {
          row.forEach((value, t) => {
            expectClose(gradLogProb[b]![t]!, value, 1e-6);
          });
        });
      }),
      { numRuns: 25 },
    );
  });
});

describe("clippedSurrogateReference properties", () => {
  /** The batch with every masked position of logProb, oldLogProb and the advantages set to a wild value. */
  const maskedPositionsChanged = (
    batch: SurrogateReferenceBatch,
    random: () => number,
  ): SurrogateReferenceBatch => {
    const scramble = (matrix: ReadonlyArray<ArrayLike<number>>) =>
      matrix.map((row, b) =>
        Array.from(row, (value, t) => (batch.mask[b]![t] === 0 ? random() * 60 - 30 : value)),
      );
    return {
      ...batch,
      logProb: scramble(batch.logProb),
      oldLogProb: scramble(batch.oldLogProb),
      advantages: scramble(batch.advantages as number[][]),
    };
  };

  it("is invariant to values under masked tokens, and its gradient is zero there", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(...AGG_MODES),
        (seed, aggMode) => {
          const batch = randomBatch(seed, { rows: 4, columns: 5 });
          const perToken = batch.mask.map((row, b) => row.map(() => batch.accuracyAdvantages[b]!));
          const inputs = { ...batch, advantages: perToken };
          const original = clippedSurrogateReference(inputs, { aggMode });
          const changed = clippedSurrogateReference(maskedPositionsChanged(inputs, mulberry32(seed)), {
            aggMode,
          });
          expect(changed.loss).toBe(original.loss);
          expect(changed.clipFraction).toBe(original.clipFraction);
          expect(changed.dualClipFraction).toBe(original.dualClipFraction);
          expect(changed.approxKl).toBe(original.approxKl);
          batch.mask.forEach((row, b) => {
            row.forEach((m, t) => {
              if (m === 0) expect(changed.gradLogProb[b]![t]).toBe(0);
            });
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("keeps its fractions in [0, 1] and its loss finite on random batches", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const batch = randomBatch(seed, { rows: 4, columns: 6 });
        const result = clippedSurrogateReference({ ...batch, advantages: batch.accuracyAdvantages });
        expect(Number.isFinite(result.loss)).toBe(true);
        for (const fraction of [result.clipFraction, result.dualClipFraction]) {
          expect(fraction).toBeGreaterThanOrEqual(0);
          expect(fraction).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("clippedSurrogateReference input checks", () => {
  const one = { logProb: [[0, 0]], oldLogProb: [[0, 0]], advantages: [1], mask: [[1, 1]] };

  it.each([
    [{ ...one, oldLogProb: [[0, 0, 0]] }, "oldLogProb[0] has 3 entries but logProb has L = 2 columns"],
    [
      {
        ...one,
        mask: [
          [1, 1],
          [1, 1],
        ],
      },
      "mask has 2 rows but logProb has 1",
    ],
    [{ ...one, advantages: [1, 2] }, "advantages has 2 entries but logProb has B = 1 rows"],
    [{ ...one, advantages: [[1, 1, 1]] }, "advantages[0] has 3 entries but logProb has L = 2 columns"],
    [{ ...one, mask: [[1, 0.5]] }, "mask[0][1] is 0.5; the mask must hold only 0 and 1"],
    [
      { ...one, mask: [[1, 0]], logProb: [[0, Number.NaN]] },
      "logProb[0][1] is NaN; values must be finite (masked",
    ],
    [{ ...one, advantages: [Number.POSITIVE_INFINITY] }, "advantages[0] is Infinity"],
    [{ ...one, logProb: [] }, "logProb has no rows"],
    [{ ...one, logProb: [[]] }, "logProb has no columns"],
  ])("rejects bad input %#", (batch, message) => {
    expect(() => clippedSurrogateReference(batch as SurrogateReferenceBatch)).toThrow(LossError);
    expect(() => clippedSurrogateReference(batch as SurrogateReferenceBatch)).toThrow(message);
  });

  it.each([
    [{ clipC: 1 }, "clipC must be a finite number > 1"],
    [{ clipC: Number.NaN }, "clipC must be a finite number > 1"],
    [{ clipLow: -0.1 }, "clipLow must be a finite number ≥ 0, got -0.1"],
    [{ clipHigh: Number.POSITIVE_INFINITY }, "clipHigh must be a finite number ≥ 0"],
    [{ aggMode: "seq-mean" }, 'aggMode must be one of "token-mean"'],
  ])("rejects bad option %#", (options, message) => {
    expect(() => clippedSurrogateReference(one, options as never)).toThrow(LossError);
    expect(() => clippedSurrogateReference(one, options as never)).toThrow(message);
  });
});
