import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "./use-backend";

describe("the wasm backend's Identity after useBackend", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it("shares the buffer: a clone has its input's data id, outlives it, and both free their memory", () => {
    const before = tf.memory();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect((tf.memory() as { numDataBuffers: number }).numDataBuffers).toBe(
      (before as { numDataBuffers: number }).numDataBuffers,
    );
  });

  it("leaves gradients, which clone what they save, unchanged and leak-free", () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor2d([0.5, -1, 2, 0], [2, 2]);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D), p)),
    )([a, b]);
    // f = Σ (a·b) ⊙ a: df/da = a·b + a·bᵀ-term, checked against the plain formulas.
    const expectedA = tf.tidy(() => tf.add(tf.matMul(a, b), tf.matMul(a, b, false, true)));
    const expectedB = tf.matMul(a, a, true, false);
    expect(Array.from(ga!.dataSync())).toEqual(Array.from(expectedA.dataSync()));
    expect(Array.from(gb!.dataSync())).toEqual(Array.from(expectedB.dataSync()));
    tf.dispose([a, b, ga!, gb!, expectedA, expectedB]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("still copies string tensors (the original kernel)", () => {
    const s = tf.tensor1d(["a", "b"], "string");
    const t = tf.clone(s);
    expect(t.dataSync()).toEqual(["a", "b"]);
    tf.dispose([s, t]);
  });
});
