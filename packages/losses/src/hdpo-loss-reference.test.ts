import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clippedSurrogateReference } from "./clipped-surrogate-reference";
import { hdpoLossReference } from "./hdpo-loss-reference";
import { LossError } from "./losses-error";
import { AGG_MODES } from "./options";
import { centralDifferences, HAND_CASE as HAND, randomBatch } from "./test-batches";

const TOLERANCE = 1e-9;

function expectClose(actual: number, expected: number, tolerance = TOLERANCE): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe("hdpoLossReference on the hand case", () => {
  it("computes L_acc, L_tool over the qualifying rows, and L = wAcc·L_acc + wTool·L_tool", () => {
    const result = hdpoLossReference(HAND);
    expectClose(result.lossAcc, -0.39);
    expectClose(result.lossTool, -0.07);
    expectClose(result.loss, -0.4005);
    expectClose(result.clipFractionAcc, 0.2);
    expectClose(result.clipFractionTool, 0.5);
    expect(result.qualifyingRatio).toBe(0.5);
    expect(result.toolMaskFallback).toBe(false);
    const expected = [
      [-0.22625, 0],
      [0.2, 0],
      [-0.05, -0.07375],
      [0, 0],
    ];
    result.gradLogProb.forEach((row, b) => {
      row.forEach((value, t) => {
        expectClose(value, expected[b]![t]!);
      });
    });
  });

  it("seq-mean-token-sum: L_acc averages 3 rows, L_tool only the 2 qualifying rows", () => {
    // acc row sums: −2.2, 1, −0.75 → −1.95 / 3 = −0.65; tool row sums: −1.54, 1.26 → −0.28 / 2 = −0.14;
    // L = −0.65 + 0.15·(−0.14) = −0.671.
    const result = hdpoLossReference(HAND, { aggMode: "seq-mean-token-sum" });
    expectClose(result.lossAcc, -0.65);
    expectClose(result.lossTool, -0.14);
    expectClose(result.loss, -0.671);
  });

  it("weights the channels: wAcc 2, wTool 0.5 → 2·(−0.39) + 0.5·(−0.07) = −0.815", () => {
    expectClose(hdpoLossReference(HAND, { wAcc: 2, wTool: 0.5 }).loss, -0.815);
  });

  it("leaves out a qualifying rollout whose tool advantage is exactly 0", () => {
    // Row 1 is correct in the advantages' sense (in Q) but its A_tool is 0: it is not in the tool mask.
    // Had it been (with its 1 token at ratio 1 and A 0), the tool denominator would be 5, not 4.
    const result = hdpoLossReference(HAND);
    expectClose(result.lossTool, -0.28 / 4);
    expect(Math.abs(result.lossTool - -0.28 / 5)).toBeGreaterThan(1e-3);
  });

  it("falls back to the full mask when no row has a non-zero tool advantage: L_tool = 0", () => {
    const result = hdpoLossReference({ ...HAND, toolAdvantages: [0, 0, 0, 0] });
    expect(result.toolMaskFallback).toBe(true);
    expect(result.qualifyingRatio).toBe(0);
    expect(result.lossTool).toBe(0);
    expect(result.clipFractionTool).toBe(0);
    expectClose(result.lossAcc, -0.39);
    expectClose(result.loss, -0.39);
  });

  it("with wTool = 0 is the plain GRPO surrogate on the accuracy advantages", () => {
    const hdpo = hdpoLossReference(HAND, { wTool: 0 });
    const grpo = clippedSurrogateReference({ ...HAND, advantages: HAND.accuracyAdvantages });
    expect(hdpo.loss).toBe(grpo.loss);
    expect(hdpo.gradLogProb).toEqual(grpo.gradLogProb);
  });

  it("takes [B, L] tool advantages: a row qualifies when any of its entries is non-zero", () => {
    const perToken = [
      [0.7, 0.7],
      [0, 0],
      [-0.7, -0.7],
      [0, 0],
    ];
    const result = hdpoLossReference({ ...HAND, toolAdvantages: perToken });
    expect(result).toEqual(hdpoLossReference(HAND));
  });
});

describe("hdpoLossReference gradient against central finite differences", () => {
  it.each(AGG_MODES)("%s: the analytic gradient matches (h = 1e-6, away from kinks)", (aggMode) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const batch = randomBatch(seed, { rows: 3, columns: 4 });
        const options = { aggMode, wTool: 0.5 };
        const { gradLogProb } = hdpoLossReference(batch, options);
        const numeric = centralDifferences(
          batch.logProb,
          (logProb) => hdpoLossReference({ ...batch, logProb }, options).loss,
        );
        numeric.forEach((row, b) => {
          row.forEach((value, t) => {
            expectClose(gradLogProb[b]![t]!, value, 1e-6);
          });
        });
      }),
      { numRuns: 20 },
    );
  });
});

describe("hdpoLossReference input checks", () => {
  it.each([
    [{ toolAdvantages: [1, 2, 3] }, "toolAdvantages has 3 entries but logProb has B = 4 rows"],
    [{ accuracyAdvantages: [1, Number.NaN, 0, 0] }, "accuracyAdvantages[1] is NaN"],
    [
      {
        mask: [
          [1, 1],
          [1, 2],
          [1, 1],
          [0, 0],
        ],
      },
      "mask[1][1] is 2",
    ],
  ])("rejects bad input %#", (patch, message) => {
    expect(() => hdpoLossReference({ ...HAND, ...patch })).toThrow(LossError);
    expect(() => hdpoLossReference({ ...HAND, ...patch })).toThrow(message);
  });

  it.each([
    [{ wTool: -0.1 }, "wTool must be a finite number ≥ 0"],
    [{ wAcc: Number.NaN }, "wAcc must be a finite number ≥ 0"],
    [{ clipC: 0.5 }, "clipC must be a finite number > 1"],
  ])("rejects bad option %#", (options, message) => {
    expect(() => hdpoLossReference(HAND, options)).toThrow(message);
  });
});
