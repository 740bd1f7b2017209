import type { LearnerAdamParams, Task } from "@hdpo/core";
import { createJudge } from "@hdpo/judge";
import { TfjsLearner } from "@hdpo/learner";
import { DecoderModel } from "@hdpo/policy";
import { tf, useBackend } from "@hdpo/tensor";
import { InProcessToolExecutor } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatEncoding } from "./chat-encoding";
import { learnerDatum, responseValues } from "./learner-datum";
import { type RlState, rlStep } from "./rl-step";
import { sftExample } from "./sft-example";
import { sftStep } from "./sft-step";
import { type TinyPipeline, tinyPipeline } from "./test-fixtures";
import { parseRlSettings, type RlSettings } from "./trainer-config";

const SETTINGS: RlSettings = parseRlSettings({
  batchPrompts: 2,
  groupSize: 4,
  learningRate: 1e-3,
  maxResponseTokens: 192,
  maxObservationTokens: 48,
  maxTurns: 2,
  concurrency: 4,
});

const SFT_ADAM: LearnerAdamParams = {
  learningRate: 0.03,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-7,
  weightDecay: 0,
  gradClipNorm: 1,
};

function clone(model: DecoderModel): DecoderModel {
  return DecoderModel.fromWeights(model.config, model.weights());
}

function flatWeights(model: DecoderModel): number[] {
  return model.trainableVariables().flatMap((v) => [...(v.dataSync() as Float32Array)]);
}

describe("rlStep", () => {
  let pipeline: TinyPipeline;
  let tasks: Task[];
  /** A tiny model after a short SFT on the cold-start demos: it writes the format, right or wrong. */
  let sftModel: DecoderModel;

  beforeAll(async () => {
    await useBackend("wasm");
    pipeline = await tinyPipeline(4);
    // Two short demonstrations learnt by heart: sampled at temperature 1 the model then writes them right in
    // some rollouts and garbles them in others, so a group has both correct and wrong rollouts.
    const demos = [
      pipeline.demos.find((d) => d.task.category === "direct" && d.trajectory.toolCalls === 1)!,
      pipeline.demos.find((d) => d.task.category === "search" && d.task.question.length < 120)!,
    ];
    tasks = demos.map((d) => d.task);
    const encoding = chatEncoding(pipeline.tokenizer);
    const examples = demos.map((d) => sftExample(d.prompt, d.trajectory.turns, encoding));
    sftModel = pipeline.createModel(5);
    const learner = new TfjsLearner({ model: sftModel, tokenizer: pipeline.tokenizer });
    for (let step = 0; step < 60; step++) await sftStep(learner, examples, SFT_ADAM);
    await learner.close();
  }, 120_000);
  afterAll(async () => {
    sftModel?.dispose();
    await pipeline?.runtime.shutdown();
  });

  const stateFor = (model: DecoderModel, overrides: Partial<RlState> = {}): RlState => ({
    learner: new TfjsLearner({ model, tokenizer: pipeline.tokenizer }),
    tokenizer: pipeline.tokenizer,
    tools: new InProcessToolExecutor(pipeline.runtime),
    judge: createJudge(),
    tasks,
    systemPrompt: pipeline.system,
    seed: 21,
    step: 0,
    ...overrides,
  });

  it("runs one step: masks and shapes hold, every metric is present, weights change, no tensor leaks", async () => {
    const model = clone(sftModel);
    const state = stateFor(model);
    // Warm-up step: Adam creates its moment variables once, which persist by design.
    await rlStep({ ...state, step: 100 }, SETTINGS);
    const weightsBefore = flatWeights(model);
    const tensorsBefore = tf.memory().numTensors;
    const { metrics, trajectories, scores, advantages } = await rlStep(state, SETTINGS);
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    expect(trajectories).toHaveLength(8);
    expect(metrics).toMatchObject({ step: 0, prompts: 2, rollouts: 8, errors: 0 });
    for (const trajectory of trajectories) {
      const tokens = trajectory.tokens!;
      expect(tokens.ids.length).toBe(tokens.lossMask.length);
      expect(tokens.logProbs.length).toBe(tokens.ids.length);
      tokens.lossMask.forEach((m, i) => {
        if (m === 0)
          expect(tokens.logProbs[i]).toBe(0); // observation tokens: no sampling log-prob
        else expect(tokens.logProbs[i]).toBeLessThanOrEqual(0);
      });
      // Observation tokens exist exactly when a tool was called.
      expect(tokens.lossMask.includes(0)).toBe(trajectory.toolCalls > 0);
    }
    // The tool channel: zero for every wrong rollout.
    trajectories.forEach((_, i) => {
      const a = advantages[i]!;
      expect(a).not.toBeNull();
      if (!scores[i]!.correct) expect(a.tool).toBe(0);
    });
    const numbers = [
      metrics.loss,
      metrics.lossAcc,
      metrics.lossTool,
      metrics.clipFractionAcc,
      metrics.clipFractionTool,
      metrics.kl,
      metrics.entropy,
      metrics.gradNorm,
      metrics.rho,
      metrics.logProbMismatch,
      metrics.meanResponseTokens,
      metrics.timings.rolloutMs,
      metrics.timings.judgeMs,
      metrics.timings.updateMs,
    ];
    for (const value of numbers) expect(Number.isFinite(value)).toBe(true);
    expect(metrics.accuracy).not.toBeNull();
    expect(metrics.toolUseRate).not.toBeNull();
    expect(metrics.updates).toBe(1);
    expect(metrics.entropy).toBeGreaterThan(0);
    expect(metrics.tokens).toBe(
      trajectories.reduce((n, t) => n + t.tokens!.lossMask.filter((m) => m === 1).length, 0),
    );
    // Every sampled token counts towards the generation rate, also those of rollouts left out of the update.
    expect(metrics.sampledTokens).toBe(
      trajectories.reduce((n, t) => n + (t.tokens?.lossMask.filter((m) => m === 1).length ?? 0), 0),
    );
    expect(metrics.sampledTokens).toBeGreaterThanOrEqual(metrics.tokens);
    expect(metrics.timings.rolloutTokensPerS).toBeCloseTo(
      metrics.sampledTokens / (metrics.timings.rolloutMs / 1000),
      6,
    );
    // Sampling and training see the same tokens, so π_old = π_θ before the first update (up to float error).
    expect(metrics.logProbMismatch).toBeLessThan(1e-3);
    expect(metrics.clipFractionAcc).toBe(0);

    // Tool-necessity labels: each rollout counted in its task's slice.
    const necessity = new Map(tasks.map((t) => [t.id, t.toolNecessity ?? "unknown"]));
    for (const label of ["required", "unnecessary", "unknown"] as const) {
      const slice = trajectories.filter((t) => necessity.get(t.taskId) === label);
      expect(metrics.byNecessity[label].rollouts).toBe(slice.length);
      const used = slice.filter((t) => t.toolCalls > 0).length;
      expect(metrics.byNecessity[label].toolUseRate).toBe(slice.length === 0 ? null : used / slice.length);
    }

    const weightsAfter = flatWeights(model);
    const changed = weightsAfter.some((w, i) => w !== weightsBefore[i]);
    const anyAdvantage = advantages.some((a) => a !== null && a.accuracy !== 0);
    expect(anyAdvantage).toBe(true);
    expect(changed).toBe(true);
    await state.learner.close();
    model.dispose();
  });

  it("gives the same metrics for the same seed", async () => {
    const run = async () => {
      const model = clone(sftModel);
      const state = stateFor(model);
      const { metrics, trajectories } = await rlStep(state, SETTINGS);
      const second = await rlStep({ ...state, step: 1 }, SETTINGS);
      await state.learner.close();
      model.dispose();
      const { timings: _a, ...first } = metrics;
      const { timings: _b, ...next } = second.metrics;
      return { first, next, texts: trajectories.map((t) => t.finalText) };
    };
    const a = await run();
    const b = await run();
    expect(a.texts).toEqual(b.texts);
    expect(a.first).toEqual(b.first);
    expect(a.next).toEqual(b.next);
  });

  it("survives a rollout that errors: it is counted and excluded, the step goes on", async () => {
    const huge: Task = {
      id: "too-long",
      question: `Repeat after me: ${"lorem ipsum dolor sit amet ".repeat(400)}`,
      answer: "x",
      toolNecessity: "unnecessary",
    };
    const model = clone(sftModel);
    const state = stateFor(model, { tasks: [huge, tasks[0]!] });
    const { metrics, trajectories, advantages } = await rlStep(state, SETTINGS);
    const failed = trajectories.filter((t) => t.taskId === "too-long");
    expect(failed.every((t) => t.finishReason === "error")).toBe(true);
    expect(metrics.errors).toBe(4);
    expect(metrics.excluded).toBeGreaterThanOrEqual(4);
    expect(metrics.rollouts).toBe(8);
    trajectories.forEach((t, i) => {
      if (t.taskId === "too-long") expect(advantages[i]).toBeNull();
    });
    expect(Number.isFinite(metrics.loss)).toBe(true);
    await state.learner.close();
    model.dispose();
  });

  it("grpo turns the tool channel off; dynamic sampling skips uniform groups; KL needs a reference", async () => {
    const model = clone(sftModel);
    const state = stateFor(model);
    const grpo = await rlStep(state, { ...SETTINGS, advantage: "grpo", dynamicSampling: true });
    grpo.advantages.forEach((a) => {
      if (a !== null) expect(a.tool).toBe(0);
    });
    expect(grpo.metrics.lossTool).toBe(0);
    expect(grpo.metrics.skippedGroups + grpo.advantages.filter((a) => a !== null).length / 4).toBe(2);
    await expect(rlStep(state, { ...SETTINGS, klCoef: 0.1 })).rejects.toThrow(/reference/);
    const reference = clone(sftModel);
    const withKl = await rlStep(
      { ...state, reference: new TfjsLearner({ model: reference, tokenizer: pipeline.tokenizer }), step: 3 },
      { ...SETTINGS, klCoef: 0.1 },
    );
    expect(Number.isFinite(withKl.metrics.kl)).toBe(true);
    expect(withKl.metrics.kl).toBeGreaterThanOrEqual(0);
    reference.dispose();
    await state.learner.close();
    model.dispose();
  });

  it("dynamic sampling draws new batches of prompts until B groups are kept, at most dynamicSamplingBatches", async () => {
    const many = pipeline.suite.tasks.train.filter((task) => (task.images?.length ?? 0) === 0);
    const settings = { ...SETTINGS, maxResponseTokens: 48, dynamicSampling: true, dynamicSamplingBatches: 3 };
    // An untrained model is never right: every group lacks signal, so the step draws all three batches.
    const blank = pipeline.createModel(9);
    const state = stateFor(blank, { tasks: many, step: 4 });
    const refilled = await rlStep(state, settings);
    expect(refilled.metrics.generationBatches).toBe(3);
    expect(refilled.metrics.prompts).toBe(6);
    const taskIds = [...new Set(refilled.trajectories.map((t) => t.taskId))];
    expect(taskIds).toHaveLength(6); // new prompts in each batch
    expect(refilled.metrics.skippedGroups).toBe(6);
    expect(refilled.advantages.every((a) => a === null)).toBe(true);
    // The first batch is the one a step without refill draws.
    const single = await rlStep(state, { ...settings, dynamicSamplingBatches: 1 });
    expect(single.metrics.generationBatches).toBe(1);
    expect(taskIds.slice(0, 2)).toEqual([...new Set(single.trajectories.map((t) => t.taskId))]);
    await state.learner.close();
    blank.dispose();
    // A policy that is right some of the time on a task it learnt: with B = 1 the step stops at the first batch
    // that keeps a group, and trains on that group alone.
    const model = clone(sftModel);
    const pool = [...tasks, ...many.filter((t) => !tasks.includes(t)).slice(0, 4)];
    const trained = stateFor(model, { tasks: pool });
    const filledEarly: number[] = [];
    for (let step = 0; step < 6; step++) {
      const { metrics, advantages, trajectories } = await rlStep(
        { ...trained, step },
        { ...SETTINGS, batchPrompts: 1, dynamicSampling: true, dynamicSamplingBatches: 3 },
      );
      const trainedGroups = new Set(
        trajectories.filter((_, i) => advantages[i] !== null).map((t) => t.groupId),
      );
      expect(metrics.prompts).toBe(metrics.generationBatches);
      if (trainedGroups.size === 1) {
        // Every batch before the last was skipped; the last one filled the update.
        expect(metrics.skippedGroups).toBe(metrics.generationBatches - 1);
        if (metrics.generationBatches < 3) filledEarly.push(step);
      } else {
        expect(trainedGroups.size).toBe(0);
        expect(metrics.generationBatches).toBe(3);
        expect(metrics.skippedGroups).toBe(3);
      }
    }
    expect(filledEarly.length).toBeGreaterThan(0);
    await trained.learner.close();
    model.dispose();
  }, 120_000);

  it("trains at the sampling temperature: π_old = π_θ before the first update at T = 0.5, not when scored at T = 1", async () => {
    const model = clone(sftModel);
    const state = stateFor(model);
    const { metrics, trajectories } = await rlStep(state, { ...SETTINGS, temperature: 0.5 });
    expect(metrics.logProbMismatch).toBeLessThan(1e-3);
    // Control: the same tokens scored at temperature 1 (what the update did before) are far from the sampler's.
    const scorer = new TfjsLearner({ model: clone(sftModel), tokenizer: pipeline.tokenizer });
    const sequences = trajectories.map((t) => t.tokens!).filter((t) => t.lossMask.includes(1));
    const { logProbs } = await scorer.forward(sequences.map((t) => learnerDatum(t, [])));
    let gap = 0;
    let count = 0;
    sequences.forEach((t, b) => {
      responseValues(t, logProbs[b]!).forEach((value, j) => {
        if (t.lossMask[j] === 0) return;
        gap += Math.abs(value - t.logProbs[j]!);
        count++;
      });
    });
    expect(gap / count).toBeGreaterThan(Math.max(0.005, 20 * metrics.logProbMismatch));
    await expect(rlStep(state, { ...SETTINGS, topP: 0.9 })).rejects.toThrow(/oldLogProbs to "recompute"/);
    await state.learner.close();
    await scorer.close();
    model.dispose();
  });

  it("runs PPO epochs over mini-batches, with π_old recomputed by the training forward pass", async () => {
    const model = clone(sftModel);
    const state = stateFor(model);
    const { metrics } = await rlStep(state, {
      ...SETTINGS,
      ppoEpochs: 2,
      miniBatchSize: 4,
      oldLogProbs: "recompute",
    });
    // 8 rollouts in mini-batches of 4, twice.
    expect(metrics.updates).toBe(4);
    // The first mini-batch sees exactly π_old; later ones see a policy that has moved.
    expect(metrics.logProbMismatch).toBeLessThan(1e-6);
    expect(Number.isFinite(metrics.loss)).toBe(true);
    await state.learner.close();
    model.dispose();
  });
});
