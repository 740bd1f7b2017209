import { tf, useBackend } from "@hdpo/tensor";
import { describe, expect, it } from "vitest";
import { DecoderModel } from "../model/decoder-model";
import type { SequenceBatch } from "../model/log-probs";
import { randomWeights, TINY_GQA } from "../model/test-configs";
import { PolicyError } from "../policy-error";
import { responseTokenLogProbs } from "./response-log-probs";

const batch: SequenceBatch = {
  sequences: [
    [1, 5, 9, 13, 17, 21, 25, 29, 33],
    [3, 6, 9, 12],
    [2, 4, 8, 16, 32, 30, 26],
    [7, 14],
  ],
  promptLengths: [3, 1, 4, 2],
};

describe.each(["cpu", "wasm"] as const)("responseTokenLogProbs on %s", (backend) => {
  it("equals the unmasked entries of model.logProbs, values and gradients", async () => {
    await useBackend(backend);
    const model = DecoderModel.fromWeights(TINY_GQA, randomWeights(TINY_GQA, 4));
    const before = tf.memory().numTensors;
    const expected = tf.tidy(() => {
      const { logProbs, mask } = model.logProbs(batch);
      const values = logProbs.arraySync();
      const keep = mask.arraySync();
      return values.flatMap((row, b) => row.filter((_, j) => keep[b]![j] === 1));
    });
    const actual = tf.tidy(() => Array.from(responseTokenLogProbs(model, batch).dataSync()));
    expect(actual).toHaveLength(6 + 3 + 3 + 0);
    for (const [i, v] of actual.entries()) expect(v).toBeCloseTo(expected[i]!, 5);

    const variables = model.trainableVariables();
    const reference = tf.variableGrads(
      () => tf.neg(tf.sum(model.logProbs(batch).logProbs)) as tf.Scalar,
      variables,
    );
    const fast = tf.variableGrads(
      () => tf.neg(tf.sum(responseTokenLogProbs(model, batch))) as tf.Scalar,
      variables,
    );
    expect(fast.value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0]!, 4);
    let largest = 0;
    let diff = 0;
    for (const variable of variables) {
      const a = reference.grads[variable.name]!.dataSync();
      const b = fast.grads[variable.name]!.dataSync();
      for (let i = 0; i < a.length; i++) {
        largest = Math.max(largest, Math.abs(a[i]!));
        diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      }
    }
    tf.dispose([
      reference.value,
      fast.value,
      ...Object.values(reference.grads),
      ...Object.values(fast.grads),
    ]);
    expect(largest).toBeGreaterThan(0.01);
    expect(diff).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("refuses bad prompt lengths, out-of-vocabulary ids and batches without a response", async () => {
    await useBackend(backend);
    const model = DecoderModel.create(TINY_GQA, { seed: 1 });
    expect(() => responseTokenLogProbs(model, { sequences: [[1, 2]], promptLengths: [0] })).toThrow(
      PolicyError,
    );
    expect(() => responseTokenLogProbs(model, { sequences: [[1, 99]], promptLengths: [1] })).toThrow(
      /token id 99/,
    );
    expect(() => responseTokenLogProbs(model, { sequences: [[1, 2]], promptLengths: [2] })).toThrow(
      /no sequence/,
    );
    model.dispose();
  });
});
