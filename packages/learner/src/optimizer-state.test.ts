import { tf, useBackend } from "@hdpo/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeOptimizerState, restoreOptimizerState } from "./optimizer-state";

beforeAll(async () => {
  await useBackend("wasm");
});

/** Adam steps on a quadratic: returns the variable's values after `steps` more updates. */
function train(variable: tf.Variable, optimizer: tf.Optimizer, steps: number): Float32Array {
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(
      () => tf.sum(tf.square(tf.sub(variable, tf.tensor1d([1, -2, 3])))) as tf.Scalar,
      false,
      [variable],
    );
  }
  return Float32Array.from(variable.dataSync());
}

describe("optimizer state", () => {
  it("a restored Adam takes bit-identical steps (moments, iteration count and running powers)", async () => {
    const start = [0.5, 0.25, -0.75];
    const straight = tf.variable(tf.tensor1d(start));
    const straightAdam = tf.train.adam(0.05);
    const expected = train(straight, straightAdam, 37);

    const first = tf.variable(tf.tensor1d(start));
    const firstAdam = tf.train.adam(0.05);
    train(first, firstAdam, 20);
    const bytes = await encodeOptimizerState(firstAdam);
    const weights = Float32Array.from(first.dataSync());

    const resumed = tf.variable(tf.tensor1d(weights));
    const resumedAdam = tf.train.adam(0.05);
    await restoreOptimizerState(resumedAdam, bytes);
    expect(train(resumed, resumedAdam, 17)).toEqual(expected);
    tf.dispose([straight, first, resumed]);
    for (const adam of [straightAdam, firstAdam, resumedAdam]) adam.dispose();
  });

  it("refuses the state of another optimizer kind", async () => {
    const sgd = tf.train.sgd(0.1);
    const bytes = await encodeOptimizerState(tf.train.adam(0.1));
    await expect(restoreOptimizerState(sgd, bytes)).rejects.toThrow(/optimizer is Adam, not SGD/);
  });
});
