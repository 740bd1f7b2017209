import type { LearnerAdamParams } from "@hdpo/core";
import { TfjsLearner } from "@hdpo/learner";
import type { DecoderModel } from "@hdpo/policy";
import { tf, useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatEncoding } from "./chat-encoding";
import { sftExample } from "./sft-example";
import { sftStep } from "./sft-step";
import { type TinyPipeline, tinyPipeline } from "./test-fixtures";
import type { TokenSequence } from "./token-sequence";

function weightsOf(model: DecoderModel): Float32Array[] {
  return model.trainableVariables().map((v) => v.dataSync() as Float32Array);
}

function maxWeightDiff(a: DecoderModel, b: DecoderModel): number {
  const wa = weightsOf(a);
  const wb = weightsOf(b);
  let max = 0;
  wa.forEach((values, i) => {
    for (let j = 0; j < values.length; j++) max = Math.max(max, Math.abs(values[j]! - wb[i]![j]!));
  });
  return max;
}

/** Adam as the trainer configures it, at `learningRate`, clipping at `gradClipNorm`. */
function adam(learningRate: number, gradClipNorm = 1): LearnerAdamParams {
  return { learningRate, beta1: 0.9, beta2: 0.999, eps: 1e-7, weightDecay: 0, gradClipNorm };
}

describe("sftStep", () => {
  let pipeline: TinyPipeline;
  let examples: TokenSequence[];
  beforeAll(async () => {
    await useBackend("wasm");
    pipeline = await tinyPipeline(3);
    const encoding = chatEncoding(pipeline.tokenizer);
    examples = pipeline.demos
      .filter((d) => d.task.category !== "python" || d.task.question.length < 300)
      .map((d) => sftExample(d.prompt, d.trajectory.turns, encoding));
  });
  afterAll(async () => {
    await pipeline?.runtime.shutdown();
  });

  it("lowers the masked NLL over a few Adam steps, reports metrics and leaks no tensors", async () => {
    const model = pipeline.createModel();
    const learner = new TfjsLearner({ model, tokenizer: pipeline.tokenizer });
    const batch = examples.slice(0, 4);
    const expectedTokens = batch.reduce((n, e) => n + e.lossMask.filter((m) => m === 1).length, 0);
    await sftStep(learner, batch, adam(0.01)); // creates Adam's moment variables, which persist by design
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let step = 0; step < 6; step++) {
      const metrics = await sftStep(learner, batch, adam(0.01));
      expect(metrics.tokens).toBe(expectedTokens);
      expect(Number.isFinite(metrics.gradNorm) && metrics.gradNorm > 0).toBe(true);
      losses.push(metrics.loss);
    }
    expect(tf.memory().numTensors).toBe(before);
    // At init every token costs about ln(vocab).
    expect(losses[0]).toBeGreaterThan(Math.log(pipeline.tokenizer.vocabSize) - 1.5);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 0.3);
    await learner.close();
    model.dispose();
  });

  it("gives masked tokens zero gradient: perturbing trailing observation tokens changes nothing", async () => {
    const base = examples.find((e) => e.lossMask.includes(0))!;
    // A masked (observation-like) tail: other token ids there must not change the update at all.
    const tail = (ids: number[]): TokenSequence => ({
      promptIds: base.promptIds,
      ids: [...base.ids, ...ids],
      lossMask: [...base.lossMask, ...ids.map((): 0 => 0)],
    });
    const a = tail([5, 6, 7, 8]);
    const b = tail([40, 41, 42, 43]);
    const run = async (example: TokenSequence): Promise<{ model: DecoderModel; loss: number }> => {
      const model = pipeline.createModel();
      const learner = new TfjsLearner({ model, tokenizer: pipeline.tokenizer });
      const { loss } = await sftStep(learner, [example], adam(0.5, 0));
      await learner.close();
      return { model, loss };
    };
    const ra = await run(a);
    const rb = await run(b);
    expect(ra.loss).toBe(rb.loss);
    expect(maxWeightDiff(ra.model, rb.model)).toBe(0);
    // Control: unmasking one of those tokens does change the update, so the comparison above can fail.
    const unmasked = { ...b, lossMask: [...b.lossMask.slice(0, -1), 1 as const] };
    const rc = await run(unmasked);
    expect(rc.loss).not.toBe(rb.loss);
    expect(maxWeightDiff(rb.model, rc.model)).toBeGreaterThan(0);
    for (const r of [ra, rb, rc]) r.model.dispose();
  });

  it("refuses batches with nothing to learn", async () => {
    const model = pipeline.createModel();
    const learner = new TfjsLearner({ model, tokenizer: pipeline.tokenizer });
    await expect(sftStep(learner, [], adam(0.01))).rejects.toThrow(/empty/);
    const masked = { ...examples[0]!, lossMask: examples[0]!.lossMask.map((): 0 => 0) };
    await expect(sftStep(learner, [masked], adam(0.01))).rejects.toThrow(/lossMask 1/);
    await learner.close();
    model.dispose();
  });
});
