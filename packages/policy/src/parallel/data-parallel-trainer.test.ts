import { tf, useBackend } from "@hdpo/tensor";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DecoderModel, type PlainWeight } from "../model/decoder-model";
import type { SequenceBatch } from "../model/log-probs";
import { Prng } from "../model/prng";
import { TINY_GQA } from "../model/test-configs";
import { PolicyError } from "../policy-error";
import { createDataParallelTrainer, type DataParallelTrainer } from "./data-parallel-trainer";
import { maskedNllLossModule } from "./masked-nll-loss";
import { liveReplicaThreads } from "./replica-handle";
import { splitSequenceBatch } from "./split-sequence-batch";

// Five rows of different lengths and prompt lengths: two workers get 3 and 2 rows, padded to different widths.
function randomBatch(seed: number): SequenceBatch {
  const prng = new Prng(seed);
  const lengths = [9, 4, 12, 7, 10];
  const sequences = lengths.map((length) =>
    Array.from({ length }, () => Math.floor(prng.next() * TINY_GQA.vocab_size)),
  );
  return { sequences, promptLengths: [2, 1, 5, 3, 4] };
}

/** The token-mean NLL of the whole batch on this thread, written independently of the parallel code. */
function fullBatchNll(model: DecoderModel, batch: SequenceBatch): tf.Scalar {
  return tf.tidy(() => {
    const { logProbs, mask } = model.logProbs(batch);
    return tf.div(tf.neg(tf.sum(logProbs)), tf.sum(mask)) as tf.Scalar;
  });
}

function referenceGradients(
  model: DecoderModel,
  batch: SequenceBatch,
): { loss: number; grads: Map<string, Float32Array> } {
  const { value, grads } = tf.variableGrads(() => fullBatchNll(model, batch), model.trainableVariables());
  const out = new Map<string, Float32Array>();
  for (const [name, variable] of model.parameters)
    out.set(name, grads[variable.name]!.dataSync() as Float32Array);
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

/** One single-process step: full-batch gradients, clipped to `maxNorm` as torch does, then Adam. */
function referenceStep(
  model: DecoderModel,
  optimizer: tf.Optimizer,
  batch: SequenceBatch,
  maxNorm: number,
): void {
  const { value, grads } = tf.variableGrads(() => fullBatchNll(model, batch), model.trainableVariables());
  const norm = tf.tidy(
    () => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]!,
  );
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  const clipped: tf.NamedTensorMap = {};
  for (const [name, grad] of Object.entries(grads)) clipped[name] = tf.mul(grad, coefficient);
  optimizer.applyGradients(clipped);
  tf.dispose([value, ...Object.values(grads), ...Object.values(clipped)]);
}

function maxDiff(
  a: ReadonlyMap<string, PlainWeight>,
  b: ReadonlyMap<string, { data: Float32Array } | Float32Array>,
): number {
  let max = 0;
  for (const [name, weight] of a) {
    const other = b.get(name)!;
    const data = other instanceof Float32Array ? other : other.data;
    for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(weight.data[i]! - data[i]!));
  }
  return max;
}

const open: DataParallelTrainer<SequenceBatch>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((trainer) => trainer.close()));
  expect(liveReplicaThreads()).toBe(0);
});

describe("createDataParallelTrainer", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it.each([
    { workers: 2, computeOnMainThread: false },
    { workers: 1, computeOnMainThread: true },
  ])(
    "sums shard gradients equal to the full batch's ($workers workers, main thread computes: $computeOnMainThread)",
    async (setup) => {
      const model = DecoderModel.create(TINY_GQA, { seed: 11 });
      const batch = randomBatch(5);
      const reference = referenceGradients(model, batch);
      const trainer = await createDataParallelTrainer<SequenceBatch>({
        model,
        lossModule: maskedNllLossModule(),
        ...setup,
      });
      open.push(trainer);
      expect(trainer.executors).toBe(2);
      expect(trainer.runningWorkers).toBe(setup.workers);
      const sharded = splitSequenceBatch(batch, trainer.executors);
      expect(sharded.shards.map((s) => s.sequences.length)).toEqual([3, 2]);
      const { loss, gradients } = await trainer.gradients(sharded);
      expect(loss).toBeCloseTo(reference.loss, 5);
      let largest = 0;
      for (const g of reference.grads.values()) for (const v of g) largest = Math.max(largest, Math.abs(v));
      expect(largest).toBeGreaterThan(1e-3); // the comparison below is not between zeros
      expect(maxDiff(gradients, reference.grads)).toBeLessThan(1e-6);
      model.dispose();
    },
  );

  it("sums more shards than executors (round robin, uneven) to the same gradients", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 12 });
    const batch = randomBatch(6);
    const reference = referenceGradients(model, batch);
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: maskedNllLossModule(),
      workers: 2,
    });
    open.push(trainer);
    const { gradients } = await trainer.gradients(splitSequenceBatch(batch, 5));
    expect(maxDiff(gradients, reference.grads)).toBeLessThan(1e-6);
    model.dispose();
  });

  it("holds the single-process trainer's weights after a few clipped Adam steps", async () => {
    const batches = [randomBatch(1), randomBatch(2), randomBatch(3), randomBatch(4)];
    const options = { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const maxNorm = 0.5;
    const single = DecoderModel.create(TINY_GQA, { seed: 13 });
    const initial = single.weights();
    const adam = tf.train.adam(options.learningRate, options.beta1, options.beta2, options.epsilon);
    for (const batch of batches) referenceStep(single, adam, batch, maxNorm);
    adam.dispose();

    const model = DecoderModel.create(TINY_GQA, { seed: 13 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: maskedNllLossModule(),
      workers: 2,
      optimizer: options,
      maxGradNorm: maxNorm,
    });
    open.push(trainer);
    const results = [];
    for (const batch of batches) results.push(await trainer.step(splitSequenceBatch(batch, 2)));
    expect(results.some((r) => r.clipped)).toBe(true);
    for (const r of results) expect(r.clipped).toBe(r.gradNorm > maxNorm);
    const moved = maxDiff(initial, single.weights());
    expect(moved).toBeGreaterThan(0.02); // four steps of lr 1e-2 move weights visibly
    expect(maxDiff(trainer.weights(), single.weights())).toBeLessThan(1e-5);

    const copy = DecoderModel.create(TINY_GQA, { seed: 99 });
    trainer.syncTo(copy);
    expect(maxDiff(copy.weights(), trainer.weights())).toBe(0);
    for (const m of [single, model, copy]) m.dispose();
  });

  it("a loss that throws in a worker rejects the step with the worker and the cause, and stops every worker", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 14 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: new URL("./test-fixtures/failing-losses.ts", import.meta.url),
      workers: 2,
    });
    open.push(trainer);
    expect(trainer.runningWorkers).toBe(2);
    const step = trainer.step(splitSequenceBatch(randomBatch(7), 2));
    await expect(step).rejects.toThrow(PolicyError);
    await expect(step).rejects.toThrow(
      /worker 1 \(of 2\) failed while computing its shards: Error: the loss of shard 1 exploded/,
    );
    expect(trainer.runningWorkers).toBe(0);
    expect(liveReplicaThreads()).toBe(0);
    await expect(trainer.step(splitSequenceBatch(randomBatch(7), 2))).rejects.toThrow(
      /stopped after a failure/,
    );
    model.dispose();
  });

  it("a worker that exits mid-step rejects the step instead of hanging", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 15 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: new URL("./test-fixtures/exiting-loss.ts", import.meta.url),
      workers: 1,
    });
    open.push(trainer);
    await expect(trainer.step(splitSequenceBatch(randomBatch(8), 1))).rejects.toThrow(
      /worker 0 \(of 1\) exited with code 3/,
    );
    expect(trainer.runningWorkers).toBe(0);
    model.dispose();
  });

  it("a worker whose loss never returns fails the step after stepTimeoutMs and is terminated", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 21 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: new URL("./test-fixtures/blocking-loss.ts", import.meta.url),
      workers: 1,
      stepTimeoutMs: 1_500,
    });
    open.push(trainer);
    await expect(trainer.step(splitSequenceBatch(randomBatch(21), 1))).rejects.toThrow(
      /worker 0 \(of 1\) did not return its gradients within 1500 ms/,
    );
    expect(trainer.runningWorkers).toBe(0);
    expect(liveReplicaThreads()).toBe(0);
    model.dispose();
  });

  it("names the shard whose loss returns something other than a scalar tensor", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 19 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: new URL("./test-fixtures/wrong-result-loss.ts", import.meta.url),
      workers: 1,
      computeOnMainThread: true,
    });
    open.push(trainer);
    await expect(trainer.step(splitSequenceBatch(randomBatch(20), 2))).rejects.toThrow(
      /main thread failed while computing its shards: The loss of shard 0 returned number; return a scalar tf.Tensor/,
    );
    expect(trainer.runningWorkers).toBe(0);
    model.dispose();
  });

  it("refuses a loss module without a loss export at start, naming the module", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 16 });
    const lossModule = new URL("./test-fixtures/no-loss-export.ts", import.meta.url);
    await expect(createDataParallelTrainer({ model, lossModule, workers: 2 })).rejects.toThrow(
      /worker [01] \(of 2\) failed while starting: PolicyError: The loss module .*no-loss-export\.ts exports no function `loss`/,
    );
    expect(liveReplicaThreads()).toBe(0);
    model.dispose();
  });

  it("close() is idempotent and ends the workers; a closed trainer refuses steps", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 17 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: maskedNllLossModule(),
      workers: 2,
    });
    await trainer.step(splitSequenceBatch(randomBatch(9), 2));
    await Promise.all([trainer.close(), trainer.close()]);
    await trainer.close();
    expect(trainer.runningWorkers).toBe(0);
    await expect(trainer.step(splitSequenceBatch(randomBatch(9), 2))).rejects.toThrow(/closed/);
    model.dispose();
  });

  it("leaks no tensors in a worker across steps", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 22 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: new URL("./test-fixtures/counting-loss.ts", import.meta.url),
      workers: 1,
    });
    open.push(trainer);
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      counts.push((await trainer.step(splitSequenceBatch(randomBatch(30 + step), 1))).metrics.tensors!);
    }
    expect(counts[0]).toBeGreaterThan(0);
    // Counted as each step's loss starts: after the first step, any growth is a leak of the step before.
    expect(new Set(counts.slice(1)).size).toBe(1);
    model.dispose();
  });

  it("leaks no tensors on this thread across steps", async () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 18 });
    const trainer = await createDataParallelTrainer<SequenceBatch>({
      model,
      lossModule: maskedNllLossModule(),
      workers: 1,
      computeOnMainThread: true,
    });
    open.push(trainer);
    await trainer.step(splitSequenceBatch(randomBatch(10), 2));
    const before = tf.memory().numTensors;
    await trainer.step(splitSequenceBatch(randomBatch(11), 2));
    await trainer.step(splitSequenceBatch(randomBatch(12), 2));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
