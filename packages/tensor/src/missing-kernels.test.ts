import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { missingKernels } from "./missing-kernels";
import { TensorBackendError } from "./tensor-backend-error";
import { useBackend } from "./use-backend";

/**
 * Forward and backward passes of what the HDPO loss and a small decoder transformer compute, each a
 * function of one input so that tf.grad can differentiate it. Run on cpu and on wasm and compared.
 */
const GRADIENT_CASES: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  "matMul (and its transposed gradient)": (x) => tf.sum(tf.matMul(x, x, false, true)),
  "batched matMul": (x) => tf.sum(tf.matMul(tf.reshape(x, [1, 2, 3]), tf.reshape(x, [1, 3, 2]))),
  softmax: (x) => tf.sum(tf.mul(tf.softmax(x), x)),
  logSoftmax: (x) => tf.sum(tf.mul(tf.logSoftmax(x), x)),
  "layer norm (mean, square, sqrt, div)": (x) => {
    const mean = tf.mean(x, -1, true);
    const variance = tf.mean(tf.square(tf.sub(x, mean)), -1, true);
    return tf.sum(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), x));
  },
  "gelu (tanh form)": (x) =>
    tf.sum(
      tf.mul(
        tf.mul(0.5, x),
        tf.add(1, tf.tanh(tf.mul(0.7978845608, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
      ),
    ),
  "embedding as oneHot · matMul": (x) => tf.sum(tf.matMul(tf.oneHot(tf.tensor1d([1, 0, 1], "int32"), 2), x)),
  "reshape, transpose, slice, concat (attention heads)": (x) =>
    tf.sum(tf.concat([tf.slice(x, [0, 0], [2, 2]), tf.transpose(tf.reshape(x, [3, 2]))], 1)),
  "causal mask from bandPart(ones) and where": (x) => {
    const square = tf.slice(tf.concat([x, x], 0), [0, 0], [3, 3]);
    const keep = tf.cast(tf.linalg.bandPart(tf.ones([3, 3]), -1, 0), "bool");
    return tf.sum(tf.where(keep, square, tf.fill([3, 3], -1e9)));
  },
  "logSumExp, max": (x) => tf.add(tf.sum(tf.logSumExp(x, -1)), tf.sum(tf.max(x, -1))),
  "the loss's clipByValue, exp, maximum, minimum": (x) =>
    tf.sum(tf.minimum(tf.maximum(tf.clipByValue(tf.exp(x), 0.8, 1.2), x), tf.scalar(3))),
  "token log-probs picked with oneHot (Σ logSoftmax · oneHot(target))": (x) =>
    tf.sum(tf.mul(tf.logSoftmax(x), tf.oneHot(tf.tensor1d([1, 2], "int32"), 3))),
};

function gradientsOn(backend: string): Record<string, number[] | string> {
  const results: Record<string, number[] | string> = {};
  for (const [name, f] of Object.entries(GRADIENT_CASES)) {
    const x = tf.tensor2d([
      [0.1, -0.2, 0.3],
      [0.4, 0.5, -0.6],
    ]);
    try {
      results[name] = Array.from(tf.grad(f)(x).dataSync());
    } catch (error) {
      results[name] = `${backend}: ${(error as Error).message}`;
    } finally {
      x.dispose();
    }
  }
  return results;
}

describe("missingKernels", () => {
  // First in the file: vitest runs each test file in a fresh process, so no backend has been set yet.
  it("throws when no backend is active and none is named", () => {
    expect(tf.getBackend()).toBeUndefined();
    expect(() => missingKernels(["Add"])).toThrow(TensorBackendError);
    expect(() => missingKernels(["Add"])).toThrow("call useBackend() first");
  });

  it("finds that wasm has no UnsortedSegmentSum or Einsum kernel but has the others asked about", async () => {
    await useBackend("wasm");
    expect(missingKernels(["GatherV2", "UnsortedSegmentSum", "BatchMatMul", "Einsum", "Softmax"])).toEqual([
      "UnsortedSegmentSum",
      "Einsum",
    ]);
  });

  it("finds nothing missing on cpu", async () => {
    await useBackend("cpu");
    expect(missingKernels(["GatherV2", "UnsortedSegmentSum", "BatchMatMul", "Einsum", "Softmax"])).toEqual(
      [],
    );
  });

  it("takes a backend by name and reports every kernel of an unknown backend as missing", () => {
    expect(missingKernels(["UnsortedSegmentSum"], "wasm")).toEqual(["UnsortedSegmentSum"]);
    expect(missingKernels(["Add"], "no-such-backend")).toEqual(["Add"]);
  });
});

describe("what the wasm backend lacks for us (checked against cpu)", () => {
  let cpu: Record<string, number[] | string>;
  let wasm: Record<string, number[] | string>;

  beforeAll(async () => {
    await useBackend("cpu");
    cpu = gradientsOn("cpu");
    await useBackend("wasm");
    wasm = gradientsOn("wasm");
  });

  it.each(Object.keys(GRADIENT_CASES))("%s: value and gradient agree on wasm and cpu", (name) => {
    const onCpu = cpu[name];
    const onWasm = wasm[name];
    expect(Array.isArray(onCpu), String(onCpu)).toBe(true);
    expect(Array.isArray(onWasm), String(onWasm)).toBe(true);
    const expected = onCpu as number[];
    (onWasm as number[]).forEach((value, index) => {
      expect(value).toBeCloseTo(expected[index] ?? Number.NaN, 5);
    });
  });

  /** Gathers whose gradient is an UnsortedSegmentSum, a kernel the wasm backend does not have. */
  const GATHER_CASES: Record<string, (x: tf.Tensor) => tf.Tensor> = {
    "embedding lookup tf.gather(table, ids)": (x) => tf.sum(tf.gather(x, tf.tensor1d([1, 0, 1], "int32"))),
    "token log-probs tf.gather(logSoftmax, targets, 1, batchDims = 1)": (x) =>
      tf.sum(tf.gather(tf.logSoftmax(x), tf.tensor2d([[1], [2]], [2, 1], "int32"), 1, 1)),
  };

  it.each(Object.keys(GATHER_CASES))(
    "%s: its gradient fails on wasm for want of UnsortedSegmentSum",
    async (name) => {
      await useBackend("wasm");
      const x = tf.tensor2d([
        [0.1, -0.2, 0.3],
        [0.4, 0.5, -0.6],
      ]);
      const f = GATHER_CASES[name]!;
      expect(() => tf.grad(f)(x)).toThrow("Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'");
      x.dispose();
    },
  );

  it("the same gather gradients work on cpu: row 1 picked twice and row 0 once → [1,1,1, 2,2,2]", async () => {
    await useBackend("cpu");
    const x = tf.tensor2d([
      [0.1, -0.2, 0.3],
      [0.4, 0.5, -0.6],
    ]);
    const gradient = tf.grad(GATHER_CASES["embedding lookup tf.gather(table, ids)"]!)(x);
    expect(Array.from(gradient.dataSync())).toEqual([1, 1, 1, 2, 2, 2]);
    tf.dispose([x, gradient]);
  });
});
