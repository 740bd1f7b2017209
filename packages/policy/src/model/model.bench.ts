import { tf, useBackend } from "@hdpo/tensor";
import { bench, describe } from "vitest";
import type { ModelConfig } from "../model-config";
import { DecoderModel } from "./decoder-model";
import {
  TRAINING_STEP_CONFIG as CONFIG,
  DEFAULT_PRESET_CONFIG,
  plainTrainingStep,
  trainingStepBatch,
  trainingStepMultiplyAdds,
} from "./training-step-case";

// The training-step case: 2 layers, hidden 64, 4 heads over 2 key/value heads, batch 32 × 128.
const ROWS = 32;
const TIME = 128;
const PROMPT = 16;
const { sequences, promptLengths } = trainingStepBatch(ROWS, TIME, PROMPT);

await useBackend(process.env.HDPO_BACKEND === "cpu" ? "cpu" : "wasm");
const model = DecoderModel.create(CONFIG, { seed: 1 });
const optimizer = tf.train.adam(1e-3);

// The trainer's `default` preset model on the same 32 × 128 tokens (ids drawn below its vocabulary).
const presetModel = DecoderModel.create(DEFAULT_PRESET_CONFIG, { seed: 2 });
const presetOptimizer = tf.train.adam(1e-3);

// The machine's single-thread matMul rate, measured in the same run, turns a step's multiply-adds into the time
// the step could not beat on one thread (printed once, with the counts, for docs/benchmarks.md).
const left = tf.randomNormal([512, 512]);
const right = tf.randomNormal([512, 512]);
function describeBound(config: ModelConfig, name: string): string {
  const multiplyAdds = trainingStepMultiplyAdds(config, ROWS, TIME);
  return `${name}: ${(multiplyAdds / 1e9).toFixed(2)} G multiply-adds a step (${ROWS * TIME} tokens)`;
}
console.info(
  describeBound(CONFIG, "issue's case"),
  "|",
  describeBound(DEFAULT_PRESET_CONFIG, "default preset"),
);

describe(`DecoderModel on ${tf.getBackend()}`, () => {
  bench(
    "training step (forward + backward + Adam), 32 × 128 tokens",
    plainTrainingStep(model, optimizer, { sequences, promptLengths }),
    {
      iterations: 5,
      warmupIterations: 1,
    },
  );
  bench(
    "training step of the default preset's model (hidden 64, MLP 192, vocab 1024), 32 × 128 tokens",
    plainTrainingStep(presetModel, presetOptimizer, { sequences, promptLengths }),
    { iterations: 5, warmupIterations: 1 },
  );
  bench(
    "512 × 512 matMul (134 M multiply-adds: the single-thread matMul rate)",
    () => {
      // Not tf.tidy(() => ….dataSync()): tidy walks a returned typed array element by element (~250 ms here).
      const product = tf.matMul(left, right);
      product.dataSync();
      product.dispose();
    },
    { iterations: 20, warmupIterations: 2 },
  );
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
