import { tf, useBackend } from "@hdpo/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { type HdpoLossInputs, hdpoLoss } from "./hdpo-loss";
import { hdpoLossReference } from "./hdpo-loss-reference";
import { LossError } from "./losses-error";
import { AGG_MODES } from "./options";
import { float32Tolerance, HAND_CASE as HAND, type RandomBatch, randomBatch } from "./test-batches";

function expectFloat32Close(actual: number, expected: number, scale = 1): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    float32Tolerance(expected, scale),
  );
}

function tensorsOf(batch: RandomBatch): HdpoLossInputs {
  return {
    logProb: tf.tensor2d(batch.logProb),
    oldLogProb: tf.tensor2d(batch.oldLogProb),
    mask: tf.tensor2d(batch.mask),
    accuracyAdvantages: tf.tensor1d(batch.accuracyAdvantages),
    toolAdvantages: tf.tensor1d(batch.toolAdvantages),
  };
}

function disposeAll(inputs: HdpoLossInputs): void {
  tf.dispose(Object.values(inputs));
}

describe.each(["cpu", "wasm"] as const)("hdpoLoss on the %s backend", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("computes the hand case: L_acc −0.39, L_tool −0.07 over rows 0 and 2, L −0.4005, ρ 0.5", () => {
    const inputs = tensorsOf(HAND);
    const result = hdpoLoss(inputs);
    expectFloat32Close(result.lossAcc.dataSync()[0]!, -0.39);
    expectFloat32Close(result.lossTool.dataSync()[0]!, -0.07);
    expectFloat32Close(result.loss.dataSync()[0]!, -0.4005);
    expect(result.clipFractionAcc).toBeCloseTo(0.2, 6);
    expect(result.clipFractionTool).toBe(0.5);
    expect(result.qualifyingRatio).toBe(0.5);
    expect(result.toolMaskFallback).toBe(false);
    tf.dispose([result.loss, result.lossAcc, result.lossTool]);
    disposeAll(inputs);
  });

  it("falls back to the full mask when every tool advantage is 0: L_tool = 0, L = wAcc·L_acc", () => {
    const inputs = tensorsOf({ ...HAND, toolAdvantages: [0, 0, 0, 0] });
    const result = hdpoLoss(inputs, { wAcc: 2 });
    expect(result.toolMaskFallback).toBe(true);
    expect(result.qualifyingRatio).toBe(0);
    expect(Math.abs(result.lossTool.dataSync()[0]!)).toBe(0);
    expect(result.clipFractionTool).toBe(0);
    expectFloat32Close(result.loss.dataSync()[0]!, -0.78);
    tf.dispose([result.loss, result.lossAcc, result.lossTool]);
    disposeAll(inputs);
  });

  it.each(AGG_MODES)(
    "%s: every field and tf.grad match the float64 reference on random batches",
    (aggMode) => {
      for (const seed of [1, 2, 3, 4]) {
        const batch = randomBatch(seed * 104_729, { rows: 6, columns: 5 });
        const options = { aggMode, wAcc: 1, wTool: 0.15 };
        const expected = hdpoLossReference(batch, options);
        const inputs = tensorsOf(batch);
        const result = hdpoLoss(inputs, options);
        expectFloat32Close(result.loss.dataSync()[0]!, expected.loss);
        expectFloat32Close(result.lossAcc.dataSync()[0]!, expected.lossAcc);
        expectFloat32Close(result.lossTool.dataSync()[0]!, expected.lossTool);
        expectFloat32Close(result.clipFractionAcc, expected.clipFractionAcc);
        expectFloat32Close(result.clipFractionTool, expected.clipFractionTool);
        expect(result.qualifyingRatio).toBe(expected.qualifyingRatio);
        expect(result.toolMaskFallback).toBe(expected.toolMaskFallback);
        const gradient = tf.grad((logProb: tf.Tensor) => hdpoLoss({ ...inputs, logProb }, options).loss)(
          inputs.logProb,
        );
        const scale = Math.max(...expected.gradLogProb.flat().map(Math.abs));
        (gradient.arraySync() as number[][]).forEach((row, b) => {
          row.forEach((value, t) => {
            expectFloat32Close(value, expected.gradLogProb[b]![t]!, scale);
          });
        });
        tf.dispose([result.loss, result.lossAcc, result.lossTool, gradient]);
        disposeAll(inputs);
      }
    },
  );

  it("takes [B, L] advantages (verl-style A·mask) with the same result as [B]", () => {
    const batch = randomBatch(77, { rows: 4, columns: 3 });
    const perToken = (advantages: number[]) =>
      tf.tensor2d(batch.mask.map((row, b) => row.map((m) => advantages[b]! * m)));
    const inputs = tensorsOf(batch);
    const tokenInputs = {
      ...inputs,
      accuracyAdvantages: perToken(batch.accuracyAdvantages),
      toolAdvantages: perToken(batch.toolAdvantages),
    };
    const a = hdpoLoss(inputs);
    const b = hdpoLoss(tokenInputs);
    const expected = hdpoLossReference(batch);
    expectFloat32Close(b.loss.dataSync()[0]!, a.loss.dataSync()[0]!);
    // A row whose mask is all 0 loses its tool advantage in the A·mask form: compare ρ with the reference fed the same.
    expect(b.qualifyingRatio).toBe(
      hdpoLossReference({
        ...batch,
        toolAdvantages: batch.mask.map((row, r) => row.map((m) => batch.toolAdvantages[r]! * m)),
      }).qualifyingRatio,
    );
    expectFloat32Close(a.loss.dataSync()[0]!, expected.loss);
    tf.dispose([a.loss, a.lossAcc, a.lossTool, b.loss, b.lossAcc, b.lossTool]);
    disposeAll(tokenInputs);
    tf.dispose([inputs.accuracyAdvantages, inputs.toolAdvantages]);
  });

  it("drives an optimizer: one SGD step moves logProb by −lr · (the reference gradient)", () => {
    const batch = randomBatch(99, { rows: 4, columns: 5 });
    const inputs = tensorsOf(batch);
    const logProb = tf.variable(inputs.logProb);
    const lr = 0.5;
    tf.train.sgd(lr).minimize(() => hdpoLoss({ ...inputs, logProb }).loss);
    const expected = hdpoLossReference(batch).gradLogProb;
    (logProb.arraySync() as number[][]).forEach((row, b) => {
      row.forEach((value, t) => {
        expectFloat32Close(value, batch.logProb[b]![t]! - lr * expected[b]![t]!, 4);
      });
    });
    logProb.dispose();
    disposeAll(inputs);
  });

  it("leaks no tensor: only loss, lossAcc and lossTool survive, and tf.grad leaves only the gradient", () => {
    const inputs = tensorsOf(randomBatch(5, { rows: 4, columns: 6 }));
    const before = tf.memory().numTensors;
    const result = hdpoLoss(inputs, { aggMode: "seq-mean-token-sum" });
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([result.loss, result.lossAcc, result.lossTool]);
    expect(tf.memory().numTensors).toBe(before);
    const gradient = tf.grad((logProb: tf.Tensor) => hdpoLoss({ ...inputs, logProb }).loss)(inputs.logProb);
    expect(tf.memory().numTensors).toBe(before + 1);
    gradient.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(inputs);
  });
});

describe("hdpoLoss input checks", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });

  it("names the tool advantages and their shape when they do not fit the batch, and leaks nothing", () => {
    const inputs = { ...tensorsOf(HAND), toolAdvantages: tf.tensor1d([1, 0, 0]) };
    const before = tf.memory().numTensors;
    expect(() => hdpoLoss(inputs)).toThrow(LossError);
    expect(() => hdpoLoss(inputs)).toThrow(
      "toolAdvantages has shape [3]; with logProb [4,2] it must be [4] or [4,2]",
    );
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(inputs);
  });

  it("names the accuracy advantages when they hold NaN", () => {
    const inputs = { ...tensorsOf(HAND), accuracyAdvantages: tf.tensor1d([1, Number.NaN, 0, 0]) };
    expect(() => hdpoLoss(inputs)).toThrow("accuracyAdvantages has 1 non-finite entries");
    disposeAll(inputs);
  });

  it("rejects a negative weight", () => {
    const inputs = tensorsOf(HAND);
    expect(() => hdpoLoss(inputs, { wTool: -1 })).toThrow("wTool must be a finite number ≥ 0, got -1");
    disposeAll(inputs);
  });
});
