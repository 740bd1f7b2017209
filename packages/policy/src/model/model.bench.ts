import { tf, useBackend } from "@hdpo/tensor";
import { bench, describe } from "vitest";
import { DecoderModel } from "./decoder-model";
import { TRAINING_STEP_CONFIG as CONFIG, trainingStepBatch } from "./training-step-case";

// The training-step case: 2 layers, hidden 64, 4 heads over 2 key/value heads, batch 32 × 128.
const ROWS = 32;
const PROMPT = 16;
const { sequences, promptLengths } = trainingStepBatch(ROWS, 128, PROMPT);

await useBackend(process.env.HDPO_BACKEND === "cpu" ? "cpu" : "wasm");
const model = DecoderModel.create(CONFIG, { seed: 1 });
const optimizer = tf.train.adam(1e-3);

function trainingStep(): void {
  const loss = optimizer.minimize(
    () => {
      const { logProbs, mask } = model.logProbs({ sequences, promptLengths });
      return tf.div(tf.neg(tf.sum(logProbs)), tf.sum(mask)) as tf.Scalar;
    },
    true,
    model.trainableVariables(),
  );
  loss?.dataSync();
  loss?.dispose();
}

describe(`DecoderModel on ${tf.getBackend()}`, () => {
  bench("training step (forward + backward + Adam), 32 × 128 tokens", trainingStep, {
    iterations: 5,
    warmupIterations: 1,
  });
  bench(
    "generate, batch 1, 32 new tokens",
    () => {
      model.generate([sequences[0]!.slice(0, PROMPT)], {
        temperature: 1,
        topP: 1,
        maxTokens: 32,
        seed: 1,
        stopTokenIds: [],
      });
    },
    { iterations: 5, warmupIterations: 1 },
  );
  bench(
    "generate, batch 64, 32 new tokens",
    () => {
      model.generate(
        Array.from({ length: 64 }, (_, b) => sequences[b % ROWS]!.slice(0, PROMPT)),
        { temperature: 1, topP: 1, maxTokens: 32, seed: 1, stopTokenIds: [] },
      );
    },
    { iterations: 3, warmupIterations: 1 },
  );
});
