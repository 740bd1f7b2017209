import { tf, useBackend } from "@hdpo/tensor";
import { afterAll, bench, describe } from "vitest";
import { DecoderModel } from "../model/decoder-model";
import type { SequenceBatch } from "../model/log-probs";
import {
  TRAINING_STEP_CONFIG as CONFIG,
  plainTrainingStep,
  trainingStepBatch,
} from "../model/training-step-case";
import { createDataParallelTrainer, type DataParallelTrainer } from "./data-parallel-trainer";
import { maskedNllLossModule } from "./masked-nll-loss";
import { splitSequenceBatch } from "./split-sequence-batch";

// model.bench.ts's training step (2 layers, hidden 64, 4 heads over 2 kv heads, 32 × 128 tokens), on one
// thread and split across worker threads, measured in the same run so that their ratio is meaningful on a
// loaded machine.
const batch = trainingStepBatch();

await useBackend(process.env.HDPO_BACKEND === "cpu" ? "cpu" : "wasm");
const lossModule = maskedNllLossModule();

// The plain single-process step of model.bench.ts.
const plainModel = DecoderModel.create(CONFIG, { seed: 1 });
const plainOptimizer = tf.train.adam(1e-3);
const plainStep = plainTrainingStep(plainModel, plainOptimizer, batch);

async function trainerOf(
  workers: number,
  computeOnMainThread: boolean,
): Promise<{ trainer: DataParallelTrainer<SequenceBatch>; model: DecoderModel }> {
  const model = DecoderModel.create(CONFIG, { seed: 1 });
  const trainer = await createDataParallelTrainer<SequenceBatch>({
    model,
    lossModule,
    workers,
    computeOnMainThread,
    maxGradNorm: 1,
  });
  return { trainer, model };
}

const single = await trainerOf(0, true);
const twoWorkers = await trainerOf(2, false);
const mainPlusOne = await trainerOf(1, true);

afterAll(async () => {
  for (const { trainer, model } of [single, twoWorkers, mainPlusOne]) {
    await trainer.close();
    model.dispose();
  }
  plainOptimizer.dispose();
  plainModel.dispose();
});

const options = { iterations: 6, warmupIterations: 1 };

describe(`training step 32 × 128 tokens on ${tf.getBackend()}: one thread against data parallel`, () => {
  bench("1 thread, optimizer.minimize (model.bench.ts)", plainStep, options);
  bench(
    "1 thread, data-parallel trainer with 0 workers",
    async () => {
      await single.trainer.step(splitSequenceBatch(batch, 1));
    },
    options,
  );
  bench(
    "2 worker threads (16 rows each)",
    async () => {
      await twoWorkers.trainer.step(splitSequenceBatch(batch, 2));
    },
    options,
  );
  bench(
    "main thread + 1 worker thread (16 rows each)",
    async () => {
      await mainPlusOne.trainer.step(splitSequenceBatch(batch, 2));
    },
    options,
  );
});
