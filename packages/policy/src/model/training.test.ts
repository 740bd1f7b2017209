import { tf, useBackend } from "@hdpo/tensor";
import { describe, expect, it } from "vitest";
import { DecoderModel } from "./decoder-model";
import { TINY_GQA } from "./test-configs";

describe.each(["cpu", "wasm"] as const)("training on %s", (backend) => {
  it("lowers the NLL of a fixed sequence with a few Adam steps", async () => {
    await useBackend(backend);
    const model = DecoderModel.create(TINY_GQA, { seed: 3 });
    const batch = {
      sequences: [
        [1, 5, 9, 13, 17, 21, 25, 29],
        [3, 6, 9, 12, 15],
      ],
      promptLengths: [2, 1],
    };
    const optimizer = tf.train.adam(0.02);
    const nll = (): tf.Scalar => {
      const { logProbs, mask } = model.logProbs(batch);
      return tf.div(tf.neg(tf.sum(logProbs)), tf.sum(mask));
    };
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const loss = optimizer.minimize(nll, true, model.trainableVariables())!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
    const final = tf.tidy(() => nll().dataSync()[0]!);
    // At init every token has log-prob ≈ −ln 37 = −3.61.
    expect(Math.abs(losses[0]! - Math.log(37))).toBeLessThan(0.05);
    expect(final).toBeLessThan(losses[0]! - 0.5);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]!);
    optimizer.dispose();
    model.dispose();
  });
});
