import { tf, useBackend } from "@hdpo/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { attend } from "./attention";
import { additiveMaskValues, causalPaddingMask, MASKED } from "./attention-mask";
import { Prng } from "./prng";
import { rotateHalfMatrix } from "./rotary";
import {
  embed,
  expandRows,
  lastAxisSoftmax,
  linear,
  matMul,
  matMulByConstant,
  oneHotFloat,
  rmsNorm,
  rowSums,
  targetLogProbs,
} from "./tensor-ops";
import { maxAbsDiff } from "./test-configs";

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const prng = new Prng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => prng.normal()),
    shape,
  );
}

/** Gradients of `sum(f(xs) ⊙ w)` for a fixed random `w`, so that every output element matters. */
function weightedGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): number[][] {
  return tf.tidy(() => {
    const probe = f(...xs);
    const w = randomTensor(probe.shape, 99);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)))(xs);
    return grads.map((g) => Array.from(g.dataSync()));
  });
}

describe.each(["cpu", "wasm"] as const)("tensor ops on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("oneHotFloat holds 1.0, not the int bit pattern (tfjs-backend-wasm's float32 OneHot)", () => {
    const oneHot = oneHotFloat(tf.tensor1d([2, 0], "int32"), 3);
    expect(oneHot.arraySync()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    oneHot.dispose();
  });

  it("matMul, softmax, target log-probs, embedding and RMSNorm have tfjs's own gradients", () => {
    const a = randomTensor([5, 4], 1);
    const b = randomTensor([4, 3], 2);
    expect(
      maxAbsDiff(
        weightedGrads((x, y) => matMul(x as tf.Tensor2D, y as tf.Tensor2D), [a, b]),
        weightedGrads((x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), [a, b]),
      ),
    ).toBeLessThan(1e-5);
    const a3 = randomTensor([2, 5, 4], 3);
    const b3 = randomTensor([2, 4, 3], 4);
    expect(
      maxAbsDiff(
        weightedGrads((x, y) => matMul(x as tf.Tensor3D, y as tf.Tensor3D), [a3, b3]),
        weightedGrads((x, y) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D), [a3, b3]),
      ),
    ).toBeLessThan(1e-5);
    const z = randomTensor([2, 3, 6], 5);
    expect(
      maxAbsDiff(
        weightedGrads(lastAxisSoftmax, [z]),
        weightedGrads((x) => tf.softmax(x), [z]),
      ),
    ).toBeLessThan(1e-6);
    const logits = randomTensor([4, 6], 6);
    const targets = oneHotFloat(tf.tensor1d([1, 5, 0, 2], "int32"), 6);
    const reference = (x: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(x), targets), 1);
    const ours = (x: tf.Tensor) => targetLogProbs(x as tf.Tensor2D, targets as tf.Tensor2D);
    expect(
      maxAbsDiff(Array.from(ours(logits).dataSync()), Array.from(reference(logits).dataSync())),
    ).toBeLessThan(1e-6);
    // Far-apart logits: the target's probability underflows float32, its log-prob does not.
    const extreme = tf.tensor2d([
      [0, 200, -200],
      [50, 50, 50],
    ]);
    const extremeTargets = oneHotFloat(tf.tensor1d([2, 1], "int32"), 3);
    const extremeLogProbs = Array.from(targetLogProbs(extreme, extremeTargets).dataSync());
    expect(extremeLogProbs[0]).toBeCloseTo(-400, 3);
    expect(extremeLogProbs[1]).toBeCloseTo(-Math.log(3), 5);
    const table = randomTensor([7, 3], 7);
    const ids = tf.tensor1d([6, 0, 6, 2], "int32");
    // d/dtable of Σ w ⊙ table[ids]: rows of w scattered (row 6 twice), against the one-hot matMul form.
    expect(
      maxAbsDiff(
        weightedGrads((t) => embed(t, ids), [table]),
        weightedGrads((t) => tf.matMul(oneHotFloat(ids, 7), t as tf.Tensor2D), [table]),
      ),
    ).toBeLessThan(1e-6);
    const x = randomTensor([3, 4], 8);
    const g = randomTensor([4], 9);
    const plainNorm = (v: tf.Tensor, w: tf.Tensor) =>
      tf.mul(tf.mul(v, tf.rsqrt(tf.add(tf.mean(tf.square(v), 1, true), 1e-6))), w);
    expect(
      maxAbsDiff(
        Array.from(rmsNorm(x as tf.Tensor2D, g, 1e-6).dataSync()),
        Array.from(plainNorm(x, g).dataSync()),
      ),
    ).toBeLessThan(1e-6);
    if (backend === "cpu") {
      // tfjs's logSoftmax gradient is only checked where its broadcasting gradient runs (cpu).
      expect(maxAbsDiff(weightedGrads(ours, [logits]), weightedGrads(reference, [logits]))).toBeLessThan(
        1e-6,
      );
      const ourNorm = (v: tf.Tensor, w: tf.Tensor) => rmsNorm(v as tf.Tensor2D, w, 1e-6);
      expect(maxAbsDiff(weightedGrads(ourNorm, [x, g]), weightedGrads(plainNorm, [x, g]))).toBeLessThan(1e-5);
    }
  });

  it("linear, expandRows, rowSums and matMulByConstant have the gradients of their plain tfjs forms", () => {
    for (const [n, inputs, outputs] of [
      [6, 4, 9], // out > in: the weight gradient is dyᵀ·x
      [6, 9, 4], // out < in: (xᵀ·dy)ᵀ
    ] as const) {
      const x = randomTensor([n, inputs], 20 + inputs);
      const w = randomTensor([outputs, inputs], 30 + outputs);
      const b = randomTensor([outputs], 40);
      const plain = (a: tf.Tensor, m: tf.Tensor, c: tf.Tensor) =>
        tf.add(tf.matMul(a as tf.Tensor2D, m as tf.Tensor2D, false, true), c);
      const ours = (a: tf.Tensor, m: tf.Tensor, c: tf.Tensor) => linear(a as tf.Tensor2D, m, c);
      expect(maxAbsDiff(weightedGrads(ours, [x, w, b]), weightedGrads(plain, [x, w, b]))).toBeLessThan(1e-5);
    }
    const values = randomTensor([5], 50);
    expect(
      maxAbsDiff(
        weightedGrads((v) => expandRows(v, 3), [values]),
        weightedGrads((v) => tf.tile(tf.reshape(v, [5, 1]), [1, 3]), [values]),
      ),
    ).toBeLessThan(1e-6);
    const m = randomTensor([5, 3], 51);
    expect(
      maxAbsDiff(
        weightedGrads((v) => rowSums(v as tf.Tensor2D), [m]),
        weightedGrads((v) => tf.sum(v, 1, true), [m]),
      ),
    ).toBeLessThan(1e-6);
    const constant = randomTensor([3, 4], 52) as tf.Tensor2D;
    expect(
      maxAbsDiff(
        weightedGrads((v) => matMulByConstant(v as tf.Tensor2D, constant), [m]),
        weightedGrads((v) => tf.matMul(v as tf.Tensor2D, constant), [m]),
      ),
    ).toBeLessThan(1e-5);
  });

  it("attends block by block (the wasm path for large blocks) as one batched softmax(q·kᵀ + mask)·v", () => {
    // 64 × 40 × 16 = 40960 multiply-adds per block: above the per-block threshold.
    const q = randomTensor([3, 64, 16], 11);
    const k = randomTensor([3, 40, 16], 12);
    const v = randomTensor([3, 40, 16], 13);
    const prng = new Prng(14);
    const mask = Float32Array.from({ length: 3 * 64 * 40 }, (_, i) =>
      i % 40 === 0 || prng.next() < 0.7 ? 0 : MASKED,
    );
    const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.matMul(
        tf.softmax(
          tf.add(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true), tf.tensor3d(mask, [3, 64, 40])),
        ),
        c as tf.Tensor3D,
      );
    const ours = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      attend(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, { kind: "additive", values: mask });
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => Array.from(ours(q, k, v).dataSync()));
    expect(
      maxAbsDiff(
        got,
        tf.tidy(() => Array.from(plain(q, k, v).dataSync())),
      ),
    ).toBeLessThan(1e-5);
    expect(maxAbsDiff(weightedGrads(ours, [q, k, v]), weightedGrads(plain, [q, k, v]))).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });
  it("attends under a causal padding mask as under the same mask added to the scores (fused kernel on wasm)", () => {
    // 3 rows of lengths 9, 4 and 1 over 2 key/value heads with 2 query heads each: blocks [6, 18, 9], head 8.
    const mask = causalPaddingMask([9, 4, 1], 9, 2, 2);
    expect(mask.kind).toBe("prefix");
    const additive = additiveMaskValues(mask, 9);
    const q = randomTensor([6, 18, 8], 21);
    const k = randomTensor([6, 9, 8], 22);
    const v = randomTensor([6, 9, 8], 23);
    const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.matMul(
        tf.softmax(
          tf.add(
            tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true),
            tf.tensor3d(additive, [6, 18, 9]),
          ),
        ),
        c as tf.Tensor3D,
      );
    const ours = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      attend(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, mask);
    const before = tf.memory().numTensors;
    expect(
      maxAbsDiff(
        tf.tidy(() => Array.from(ours(q, k, v).dataSync())),
        tf.tidy(() => Array.from(plain(q, k, v).dataSync())),
      ),
    ).toBeLessThan(1e-5);
    expect(maxAbsDiff(weightedGrads(ours, [q, k, v]), weightedGrads(plain, [q, k, v]))).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("rotateHalfMatrix", () => {
  it("maps x to cat(−x₂, x₁)", () => {
    const r = rotateHalfMatrix(4);
    const x = [1, 2, 3, 4];
    const out = [0, 1, 2, 3].map((j) => x.reduce((s, xi, i) => s + xi * r[i * 4 + j]!, 0));
    expect(out).toEqual([-3, -4, 1, 2]);
  });
});
