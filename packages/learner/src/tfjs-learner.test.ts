import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LearnerAdamParams, LearnerDatum } from "@hdpo/core";
import type { ByteLevelBpeTokenizer, DecoderModel } from "@hdpo/policy";
import { createTestModel, trainTestTokenizer } from "@hdpo/policy/testing";
import { tf, useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TfjsLearner } from "./tfjs-learner";

const ADAM: LearnerAdamParams = {
  learningRate: 1e-2,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-7,
  weightDecay: 0,
  gradClipNorm: 1,
};

let tokenizer: ByteLevelBpeTokenizer;
let directory: string;

function model(seed = 7): DecoderModel {
  return createTestModel(tokenizer, { maxPositions: 64, seed });
}

/** A datum of `text` with weights `weight(t)` on its targets. */
function datum(text: string, weight: (t: number) => number = () => 1): LearnerDatum {
  const ids = tokenizer.encode(text);
  const targets = ids.slice(1);
  return {
    modelInput: [{ type: "encoded_text", tokens: ids.slice(0, -1) }],
    targetTokens: targets,
    weights: targets.map((_, t) => weight(t)),
  };
}

function weightsOf(m: DecoderModel): Float32Array[] {
  return m.trainableVariables().map((v) => Float32Array.from(v.dataSync()));
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  a.forEach((values, i) => {
    for (let j = 0; j < values.length; j++) max = Math.max(max, Math.abs(values[j]! - b[i]![j]!));
  });
  return max;
}

let DATA: LearnerDatum[];

beforeAll(async () => {
  await useBackend("wasm");
  tokenizer = trainTestTokenizer({
    corpus: ["The quick brown fox jumps over the lazy dog. <answer>42</answer> hello world"],
    documents: 1,
    vocabSize: 300,
  });
  directory = await mkdtemp(join(tmpdir(), "tfjs-learner-"));
  DATA = [
    datum("The quick brown fox jumps over the lazy dog.", (t) => (t < 3 ? 0 : 0.1)),
    datum("<answer>42</answer>", (t) => -0.05 * (t + 1)),
  ];
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("TfjsLearner", () => {
  it("forward gives the model's teacher-forced log-probs of every target, at the temperature asked", async () => {
    const m = model();
    const learner = new TfjsLearner({ model: m, tokenizer });
    const ids = tokenizer.encode("hello world, the lazy dog");
    const scored = m.logProbs({ sequences: [ids], promptLengths: [1] });
    const expected = Array.from(scored.logProbs.dataSync());
    tf.dispose([scored.logProbs, scored.mask]);
    const [row] = (await learner.forward([datum("hello world, the lazy dog")])).logProbs;
    expect(row).toHaveLength(ids.length - 1);
    row!.forEach((value, t) => {
      expect(value).toBeCloseTo(expected[t]!, 6);
    });
    const [hot] = (await learner.forward([datum("hello world, the lazy dog")], { temperature: 0.5 }))
      .logProbs;
    expect(hot!.some((value, t) => Math.abs(value - row![t]!) > 1e-3)).toBe(true);
    await learner.close();
    m.dispose();
  });

  it("accumulates gradients: two forwardBackward calls add up to one call with both data", async () => {
    const a = model();
    const b = model();
    const split = new TfjsLearner({ model: a, tokenizer });
    const joined = new TfjsLearner({ model: b, tokenizer });
    const first = await split.forwardBackward([DATA[0]!]);
    const second = await split.forwardBackward([DATA[1]!]);
    const both = await joined.forwardBackward(DATA);
    expect(first.loss + second.loss).toBeCloseTo(both.loss, 5);
    const g1 = split.accumulatedGradient()!;
    const g2 = joined.accumulatedGradient()!;
    expect(Math.max(...g2.map((g) => Math.max(...g.map(Math.abs))))).toBeGreaterThan(1e-4);
    expect(maxDiff(g1, g2)).toBeLessThan(1e-6);
    // The step consumes the gradient: the next one has nothing to apply.
    await split.optimStep(ADAM);
    expect(split.accumulatedGradient()).toBeUndefined();
    await expect(split.optimStep(ADAM)).rejects.toThrow(/no gradient was accumulated/);
    for (const l of [split, joined]) await l.close();
    a.dispose();
    b.dispose();
  });

  it("saves and restores its state: a restored learner takes bit-identical steps", async () => {
    const straight = model();
    const learner = new TfjsLearner({ model: straight, tokenizer, stateDirectory: directory });
    const step = async (l: TfjsLearner): Promise<void> => {
      await l.forwardBackward(DATA);
      await l.optimStep(ADAM);
    };
    for (let i = 0; i < 3; i++) await step(learner);
    const path = await learner.saveState("after-3");
    expect(path).toBe(join(directory, "after-3"));
    for (let i = 0; i < 3; i++) await step(learner);

    const other = model(99);
    const restored = new TfjsLearner({ model: other, tokenizer });
    await restored.loadState(path);
    for (let i = 0; i < 3; i++) await step(restored);
    expect(maxDiff(weightsOf(other), weightsOf(straight))).toBe(0);

    // Weights only: same weights, a fresh optimizer, so the next steps differ.
    const fresh = model(98);
    const weightsOnly = new TfjsLearner({ model: fresh, tokenizer });
    await weightsOnly.loadState(path, { weightsOnly: true });
    for (let i = 0; i < 3; i++) await step(weightsOnly);
    expect(maxDiff(weightsOf(fresh), weightsOf(straight))).toBeGreaterThan(1e-6);
    await expect(learner.saveState("../escape")).rejects.toThrow(/letters, digits/);
    for (const l of [learner, restored, weightsOnly]) await l.close();
    for (const m of [straight, other, fresh]) m.dispose();
  });

  it("clips the global norm, applies decoupled weight decay, and refuses changed Adam constants", async () => {
    const m = model();
    const learner = new TfjsLearner({ model: m, tokenizer });
    await learner.forwardBackward(DATA);
    const norm = (await learner.optimStep({ ...ADAM, gradClipNorm: 1e-3 })).gradNorm;
    expect(norm).toBeGreaterThan(1e-3);
    // A first step on zero weights: zero gradient and zero moments, so Adam moves nothing and only the decay scales
    // the weights.
    const decayed = model(8);
    const decaying = new TfjsLearner({ model: decayed, tokenizer });
    const before = weightsOf(decayed);
    await decaying.forwardBackward([datum("hello world", () => 0)]);
    await decaying.optimStep({ ...ADAM, weightDecay: 0.5 });
    const after = weightsOf(decayed);
    const keep = 1 - ADAM.learningRate * 0.5;
    after.forEach((values, i) => {
      values.forEach((value, j) => {
        expect(value).toBeCloseTo(before[i]![j]! * keep, 6);
      });
    });
    await decaying.close();
    decayed.dispose();
    await learner.forwardBackward(DATA);
    await expect(learner.optimStep({ ...ADAM, beta2: 0.95 })).rejects.toThrow(
      /fixed when the optimizer is created/,
    );
    await learner.forwardBackward(DATA);
    await expect(learner.optimStep({ ...ADAM, eps: 0 })).rejects.toThrow(
      /adam eps must be a finite number > 0/,
    );
    await learner.close();
    m.dispose();
  });

  it("adds the entropy term only where entropy weights are given, and reports Σ −w·logp − Σ e·H", async () => {
    const m = model();
    const learner = new TfjsLearner({ model: m, tokenizer });
    const plain = datum("hello world, the lazy dog", () => 0);
    const withEntropy = { ...plain, entropyWeights: plain.targetTokens.map(() => 0.1) };
    const ids = tokenizer.encode("hello world, the lazy dog");
    const scored = m.logProbs({ sequences: [ids], promptLengths: [1] }, { entropy: true });
    const entropy = Array.from(scored.entropy!.dataSync()).reduce((a, h) => a + h, 0);
    tf.dispose([scored.logProbs, scored.mask, scored.entropy!]);
    const { loss } = await learner.forwardBackward([withEntropy]);
    expect(loss).toBeCloseTo(-0.1 * entropy, 4);
    const gradient = learner.accumulatedGradient()!;
    expect(Math.max(...gradient.map((g) => Math.max(...g.map(Math.abs))))).toBeGreaterThan(1e-6);
    await learner.close();
    m.dispose();
  });

  it("refuses bad data with one line naming the datum", async () => {
    const m = model();
    const learner = new TfjsLearner({ model: m, tokenizer });
    const good = datum("hello world");
    const cases: [LearnerDatum, RegExp][] = [
      [{ ...good, targetTokens: good.targetTokens.slice(1) }, /input tokens and .* target tokens/],
      [
        { ...good, targetTokens: [...good.targetTokens].reverse() },
        /targets must be the input shifted by one/,
      ],
      [{ ...good, weights: [1] }, /weights has 1 entries/],
      [{ ...good, weights: good.targetTokens.map(() => Number.NaN) }, /not a finite number/],
      [{ ...good, modelInput: [{ type: "image", data: "", format: "png" }] }, /image chunk/],
      [
        {
          ...good,
          modelInput: [{ type: "encoded_text", tokens: [99_999, ...good.targetTokens.slice(0, -1)] }],
        },
        /not a token id/,
      ],
    ];
    for (const [bad, message] of cases) {
      await expect(learner.forwardBackward([good, bad])).rejects.toThrow(message);
      await expect(learner.forwardBackward([good, bad])).rejects.toThrow(/datum 1/);
    }
    // Nothing was accumulated by the refused calls.
    expect(learner.accumulatedGradient()).toBeUndefined();
    await learner.close();
    await expect(learner.forward([good])).rejects.toThrow(/closed/);
    m.dispose();
  });

  it("samples from the current weights: the same seed gives the same tokens, and they follow training", async () => {
    const m = model();
    const learner = new TfjsLearner({ model: m, tokenizer });
    const prompt = [{ type: "encoded_text" as const, tokens: tokenizer.encode("hello") }];
    const request = { prompt, maxTokens: 12, temperature: 1, topP: 1, seed: 5 };
    const sampler = await learner.samplerForCurrentWeights();
    const a = await sampler.sample(request);
    const b = await sampler.sample(request);
    expect(b).toEqual(a);
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(a.logProbs).toHaveLength(a.tokens.length);
    // Train on one text: the same sampler object (same weights) now continues the prompt with it.
    const target = datum("hello world, the lazy dog");
    const greedyBefore = await sampler.sample({ ...request, temperature: 0 });
    const next = target.targetTokens[prompt[0]!.tokens.length - 1]!;
    expect(greedyBefore.tokens[0]).not.toBe(next);
    for (let i = 0; i < 40; i++) {
      await learner.forwardBackward([target]);
      await learner.optimStep({ ...ADAM, learningRate: 3e-2 });
    }
    const greedy = await sampler.sample({ ...request, temperature: 0 });
    expect(greedy.tokens[0]).toBe(next);
    await learner.close();
    m.dispose();
  });
});
