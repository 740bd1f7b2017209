import { tf, useBackend } from "@hdpo/tensor";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { clippedSurrogate, type SurrogateInputs } from "./clipped-surrogate";
import { clippedSurrogateReference } from "./clipped-surrogate-reference";
import { LossError } from "./losses-error";
import { AGG_MODES } from "./options";
import { float32Tolerance, mulberry32, type RandomBatch, randomBatch } from "./test-batches";

function expectFloat32Close(actual: number, expected: number, scale = 1): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    float32Tolerance(expected, scale),
  );
}

function tensorsOf(batch: RandomBatch): SurrogateInputs {
  return {
    logProb: tf.tensor2d(batch.logProb),
    oldLogProb: tf.tensor2d(batch.oldLogProb),
    advantages: tf.tensor1d(batch.accuracyAdvantages),
    mask: tf.tensor2d(batch.mask),
  };
}

function disposeAll(inputs: SurrogateInputs): void {
  tf.dispose([inputs.logProb, inputs.oldLogProb, inputs.advantages, inputs.mask]);
}

describe.each(["cpu", "wasm"] as const)("clippedSurrogate on the %s backend", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("computes the hand case: A = 1, ratios 1.5 (clipped at 1.2) and 1 → (−1.2 − 1) / 2", () => {
    const inputs: SurrogateInputs = {
      logProb: tf.tensor2d([[Math.log(1.5), 0]]),
      oldLogProb: tf.tensor2d([[0, 0]]),
      advantages: tf.tensor1d([1]),
      mask: tf.tensor2d([[1, 1]]),
    };
    const result = clippedSurrogate(inputs);
    expectFloat32Close(result.loss.dataSync()[0]!, -1.1);
    expect(result.clipFraction).toBe(0.5);
    expect(result.dualClipFraction).toBe(0);
    expectFloat32Close(result.approxKl, -Math.log(1.5) / 2);
    result.loss.dispose();
    disposeAll(inputs);
  });

  it.each(AGG_MODES)(
    "%s: loss, fractions, KL and tf.grad match the float64 reference on random batches",
    (aggMode) => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const batch = randomBatch(seed * 7919, { rows: 5, columns: 7 });
        const expected = clippedSurrogateReference(
          { ...batch, advantages: batch.accuracyAdvantages },
          { aggMode },
        );
        const inputs = tensorsOf(batch);
        const result = clippedSurrogate(inputs, { aggMode });
        expectFloat32Close(result.loss.dataSync()[0]!, expected.loss);
        expectFloat32Close(result.clipFraction, expected.clipFraction);
        expectFloat32Close(result.dualClipFraction, expected.dualClipFraction);
        expectFloat32Close(result.approxKl, expected.approxKl);
        const gradient = tf.grad(
          (logProb: tf.Tensor) => clippedSurrogate({ ...inputs, logProb }, { aggMode }).loss,
        )(inputs.logProb);
        const scale = Math.max(...expected.gradLogProb.flat().map(Math.abs));
        (gradient.arraySync() as number[][]).forEach((row, b) => {
          row.forEach((value, t) => {
            expectFloat32Close(value, expected.gradLogProb[b]![t]!, scale);
          });
        });
        tf.dispose([result.loss, gradient]);
        disposeAll(inputs);
      }
    },
  );

  it("at a ratio exactly on both clip bounds (ratio 1, clip 0/0) follows the reference: unclipped gradient −A/n", () => {
    const inputs: SurrogateInputs = {
      logProb: tf.tensor2d([[-1, -2]]),
      oldLogProb: tf.tensor2d([[-1, -2]]),
      advantages: tf.tensor1d([3]),
      mask: tf.tensor2d([[1, 1]]),
    };
    const options = { clipLow: 0, clipHigh: 0 };
    const gradient = tf.grad((logProb: tf.Tensor) => clippedSurrogate({ ...inputs, logProb }, options).loss)(
      inputs.logProb,
    );
    const reference = clippedSurrogateReference(
      { logProb: [[-1, -2]], oldLogProb: [[-1, -2]], advantages: [3], mask: [[1, 1]] },
      options,
    );
    expect(reference.gradLogProb[0]).toEqual([-1.5, -1.5]);
    expect(Array.from(gradient.dataSync())).toEqual([-1.5, -1.5]);
    gradient.dispose();
    disposeAll(inputs);
  });

  it.each(AGG_MODES)("%s: an all-zero mask gives 0 and a zero gradient, never NaN", (aggMode) => {
    const batch = randomBatch(11, { rows: 3, columns: 4 });
    const inputs = { ...tensorsOf(batch), mask: tf.zeros([3, 4]) };
    const result = clippedSurrogate(inputs, { aggMode });
    expect(result.loss.dataSync()[0]).toBe(0);
    expect([result.clipFraction, result.dualClipFraction, result.approxKl]).toEqual([0, 0, 0]);
    const gradient = tf.grad(
      (logProb: tf.Tensor) => clippedSurrogate({ ...inputs, logProb }, { aggMode }).loss,
    )(inputs.logProb);
    expect(Array.from(gradient.dataSync()).every((value) => value === 0)).toBe(true);
    tf.dispose([result.loss, gradient]);
    disposeAll(inputs);
  });

  it("accepts [B, L] advantages, and int32 or bool masks, with the same result", () => {
    const batch = randomBatch(21, { rows: 3, columns: 4 });
    const inputs = tensorsOf(batch);
    const perToken = tf.tensor2d(batch.mask.map((row, b) => row.map(() => batch.accuracyAdvantages[b]!)));
    const base = clippedSurrogate(inputs);
    const variants = [
      clippedSurrogate({ ...inputs, advantages: perToken }),
      clippedSurrogate({ ...inputs, mask: tf.tensor2d(batch.mask, undefined, "int32") }),
      clippedSurrogate({
        ...inputs,
        mask: tf.tensor2d(
          batch.mask.map((row) => row.map(Boolean)),
          undefined,
          "bool",
        ),
      }),
    ];
    for (const variant of variants) {
      expect(variant.loss.dataSync()[0]).toBe(base.loss.dataSync()[0]);
      expect(variant.clipFraction).toBe(base.clipFraction);
      variant.loss.dispose();
    }
    tf.dispose([base.loss, perToken]);
    disposeAll(inputs);
  });

  it("leaks no tensor: only the returned loss survives the call, and a tf.grad around it leaves only the gradient", () => {
    const inputs = tensorsOf(randomBatch(31, { rows: 4, columns: 5 }));
    const before = tf.memory().numTensors;
    const result = clippedSurrogate(inputs, { aggMode: "seq-mean-token-mean" });
    expect(tf.memory().numTensors).toBe(before + 1);
    result.loss.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const gradient = tf.grad((logProb: tf.Tensor) => clippedSurrogate({ ...inputs, logProb }).loss)(
      inputs.logProb,
    );
    expect(tf.memory().numTensors).toBe(before + 1);
    gradient.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(inputs);
  });

  it("is invariant to values under masked tokens, and tf.grad is zero there (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom(...AGG_MODES),
        (seed, aggMode) => {
          const batch = randomBatch(seed, { rows: 3, columns: 5 });
          const random = mulberry32(seed);
          const scramble = (matrix: number[][]) =>
            matrix.map((row, b) =>
              row.map((value, t) => (batch.mask[b]![t] === 0 ? random() * 60 - 30 : value)),
            );
          const original = tensorsOf(batch);
          const changed = tensorsOf({
            ...batch,
            logProb: scramble(batch.logProb),
            oldLogProb: scramble(batch.oldLogProb),
          });
          const a = clippedSurrogate(original, { aggMode });
          const b = clippedSurrogate(changed, { aggMode });
          expect(b.loss.dataSync()[0]).toBe(a.loss.dataSync()[0]);
          expect([b.clipFraction, b.dualClipFraction, b.approxKl]).toEqual([
            a.clipFraction,
            a.dualClipFraction,
            a.approxKl,
          ]);
          const gradient = tf.grad(
            (logProb: tf.Tensor) => clippedSurrogate({ ...changed, logProb }, { aggMode }).loss,
          )(changed.logProb);
          const values = gradient.arraySync() as number[][];
          batch.mask.forEach((row, r) => {
            row.forEach((m, t) => {
              if (m === 0) expect(Math.abs(values[r]![t]!)).toBe(0);
            });
          });
          tf.dispose([a.loss, b.loss, gradient]);
          disposeAll(original);
          disposeAll(changed);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe("clippedSurrogate input checks", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });

  const good = (): SurrogateInputs => ({
    logProb: tf.tensor2d([[0, 0, 0]]),
    oldLogProb: tf.tensor2d([[0, 0, 0]]),
    advantages: tf.tensor1d([1]),
    mask: tf.tensor2d([[1, 1, 0]]),
  });

  // Factories: the tensors must be made after beforeAll has selected a backend.
  it.each<[string, () => Partial<SurrogateInputs>, string]>([
    [
      "oldLogProb of another shape",
      () => ({ oldLogProb: tf.tensor2d([[0, 0]]) }),
      "oldLogProb has shape [1,2] but logProb has [1,3]",
    ],
    [
      "a rank-1 logProb",
      () => ({ logProb: tf.tensor1d([0, 0, 0]) }),
      "logProb must be [B, L] (rank 2), got shape [3]",
    ],
    [
      "advantages of length 2",
      () => ({ advantages: tf.tensor1d([1, 2]) }),
      "advantages has shape [2]; with logProb [1,3] it must be [1] or [1,3]",
    ],
    [
      "an int32 logProb",
      () => ({ logProb: tf.tensor2d([[0, 0, 0]], undefined, "int32") }),
      "logProb has dtype int32; expected float32",
    ],
    [
      "NaN under a masked token",
      () => ({ oldLogProb: tf.tensor2d([[0, 0, Number.NaN]]) }),
      "oldLogProb has 1 non-finite entries",
    ],
    [
      "an infinite advantage",
      () => ({ advantages: tf.tensor1d([Number.POSITIVE_INFINITY]) }),
      "advantages has 1 non-finite entries",
    ],
    [
      "a mask with 0.5",
      () => ({ mask: tf.tensor2d([[1, 0.5, 0]]) }),
      "mask has 1 entries other than 0 and 1",
    ],
    ["a plain array", () => ({ mask: [[1, 1, 0]] as unknown as tf.Tensor }), "mask must be a tf.Tensor"],
  ])("rejects %s, naming the tensor, and leaks nothing", (_, patch, message) => {
    const inputs = { ...good(), ...patch() };
    const before = tf.memory().numTensors;
    expect(() => clippedSurrogate(inputs)).toThrow(LossError);
    expect(() => clippedSurrogate(inputs)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs).filter((value): value is tf.Tensor => value instanceof tf.Tensor));
  });

  it("rejects a disposed tensor", () => {
    const inputs = good();
    inputs.mask.dispose();
    expect(() => clippedSurrogate(inputs)).toThrow("mask has been disposed");
    disposeAll(inputs);
  });

  it("rejects clipC ≤ 1 and an unknown aggMode", () => {
    const inputs = good();
    expect(() => clippedSurrogate(inputs, { clipC: 1 })).toThrow("clipC must be a finite number > 1");
    expect(() => clippedSurrogate(inputs, { aggMode: "sum" as "token-mean" })).toThrow(
      "aggMode must be one of",
    );
    disposeAll(inputs);
  });
});
