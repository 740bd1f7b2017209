import type { LearnerAdamParams } from "@hdpo/core";
import { TfjsLearner } from "@hdpo/learner";
import { AGG_MODES, type AggMode, hdpoLoss } from "@hdpo/losses";
import type { DecoderModel } from "@hdpo/policy";
import { tf, useBackend } from "@hdpo/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { learnerDatum, responseValues } from "./learner-datum";
import { createModel } from "./model-from-config";
import { padResponses, sequenceBatch } from "./padded-batch";
import { customLoss, type PolicySample, ppoUpdate } from "./ppo-update";
import { trainChatTokenizer } from "./train-tokenizer";
import { parseRlSettings } from "./trainer-config";

const CLIP = { wAcc: 1, clipLow: 0.2, clipHigh: 0.2, clipC: 3, klCoef: 0 };
const TOOL_WEIGHT = 0.15;
/**
 * log π_θ − log π_old per response token, cycling: ratios 0.20, 0.61, 0.90, 1, 1.11, 1.16, 1.35, 3.67 — every branch
 * of the dual clip for both signs of the advantage, each at least 0.03 away from a kink (0.8, 1.2, 3).
 */
const LOG_RATIOS = [-1.6, -0.5, -0.1, 0, 0.1, 0.15, 0.3, 1.3];

let tokenizer: ReturnType<typeof trainChatTokenizer>;

function tinyModel(seed: number): DecoderModel {
  return createModel(
    {
      hiddenSize: 16,
      intermediateSize: 32,
      layers: 1,
      attentionHeads: 2,
      keyValueHeads: 1,
      maxPositions: 64,
      seed,
    },
    tokenizer,
  );
}

/** Four rollouts of different lengths, with observation tokens (mask 0) inside two of them. */
function rollouts(): PolicySample["tokens"][] {
  const ids = (text: string): number[] => tokenizer.encode(text);
  const make = (prompt: string, parts: [string, 0 | 1][]): PolicySample["tokens"] => {
    const response = parts.flatMap(([text, m]) => ids(text).map((id) => ({ id, m })));
    return {
      promptIds: ids(prompt),
      ids: response.map((r) => r.id),
      lossMask: response.map((r) => r.m),
      logProbs: response.map(() => 0),
    };
  };
  return [
    make("What is 6 times 7?", [["<reason>multiply</reason><answer>42</answer>", 1]]),
    make("What is 6 times 7?", [
      ["<tool_call>print(6*7)</tool_call>", 1],
      ["result: 42", 0],
      ["<answer>42</answer>", 1],
    ]),
    make("Is 9 even?", [["<answer>no</answer>", 1]]),
    make("Is 9 even?", [
      ["<tool_call>print(9 % 2)</tool_call>", 1],
      ["result: 1", 0],
      ["<reason>odd</reason><answer>no</answer>", 1],
    ]),
  ];
}

const ACCURACY = [1.2, -0.8, 0.5, -0.9];
const TOOL = [0.7, -0.7, 0, 0];

/** Behaviour log-probs at the cycling log-ratios from the model's current ones. */
async function withOldLogProbs(learner: TfjsLearner, tokens: PolicySample["tokens"][]): Promise<number[][]> {
  const { logProbs } = await learner.forward(tokens.map((t) => learnerDatum(t, [])));
  return tokens.map((t, b) =>
    responseValues(t, logProbs[b]!).map((value, j) => value - LOG_RATIOS[(b * 3 + j) % LOG_RATIOS.length]!),
  );
}

/** d L / d θ of the HDPO tensor loss (`hdpoLoss`) taken directly through the model, as the trainer used to. */
function directGradient(
  model: DecoderModel,
  tokens: PolicySample["tokens"][],
  old: number[][],
  aggMode: AggMode,
): Float32Array[] {
  const mask = padResponses(tokens.map((t) => t.lossMask));
  const shape: [number, number] = [mask.rows, mask.width];
  const { grads } = tf.variableGrads(() => {
    const maskTensor = tf.tensor2d(mask.data, shape);
    const { logProbs } = model.logProbs(sequenceBatch(tokens));
    return hdpoLoss(
      {
        logProb: tf.mul(logProbs, maskTensor),
        oldLogProb: tf.tensor2d(padResponses(old).data, shape),
        mask: maskTensor,
        accuracyAdvantages: tf.tensor1d(ACCURACY),
        toolAdvantages: tf.tensor1d(TOOL),
      },
      { ...CLIP, wTool: TOOL_WEIGHT, aggMode },
    ).loss;
  }, model.trainableVariables());
  const out = Object.keys(grads).map((name) => Float32Array.from(grads[name]!.dataSync()));
  tf.dispose(grads);
  return out;
}

/** The custom-loss route: forward, float64 weights, forwardBackward; returns the learner's gradient. */
async function routeGradient(
  learner: TfjsLearner,
  tokens: PolicySample["tokens"][],
  old: number[][],
  aggMode: AggMode,
): Promise<{ gradient: Float32Array[]; loss: number }> {
  const { logProbs } = await learner.forward(tokens.map((t) => learnerDatum(t, [])));
  const loss = customLoss(
    {
      logProb: tokens.map((t, b) => responseValues(t, logProbs[b]!)),
      oldLogProb: old,
      mask: tokens.map((t) => t.lossMask),
      accuracyAdvantages: ACCURACY,
      toolAdvantages: TOOL,
    },
    { ...CLIP, aggMode },
    TOOL_WEIGHT,
  );
  await learner.forwardBackward(tokens.map((t, b) => learnerDatum(t, loss.weights[b]!)));
  return { gradient: learner.accumulatedGradient()!, loss: loss.reference.loss };
}

function maxAbs(values: Float32Array[]): number {
  return Math.max(...values.map((v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  a.forEach((values, i) => {
    for (let j = 0; j < values.length; j++) max = Math.max(max, Math.abs(values[j]! - b[i]![j]!));
  });
  return max;
}

describe("the custom-loss route (forward → dL/dlogp in float64 → forwardBackward)", () => {
  beforeAll(async () => {
    await useBackend("wasm");
    tokenizer = trainChatTokenizer(
      [
        [
          { role: "user", content: "What is 6 times 7? Is 9 even?" },
          { role: "assistant", content: "<reason>multiply odd</reason><tool_call>print(6*7)</tool_call>" },
          { role: "tool", content: "result: 42 1 <answer>no</answer>" },
        ],
      ],
      { vocabSize: 300 },
    );
  });

  it.each(AGG_MODES)("equals hdpoLoss's tensor gradient to float32 tolerance (%s)", async (aggMode) => {
    const model = tinyModel(11);
    const learner = new TfjsLearner({ model, tokenizer });
    const tokens = rollouts();
    const old = await withOldLogProbs(learner, tokens);
    const direct = directGradient(model, tokens, old, aggMode);
    const { gradient } = await routeGradient(learner, tokens, old, aggMode);
    const scale = maxAbs(direct);
    // A positive control: the gradient is not trivially zero, so equality means something.
    expect(scale).toBeGreaterThan(1e-3);
    expect(maxDiff(gradient, direct)).toBeLessThan(1e-5 + 1e-4 * scale);
    await learner.close();
    model.dispose();
  });

  it("equals the finite-difference gradient of the dual loss on a tiny model", async () => {
    const model = tinyModel(12);
    const learner = new TfjsLearner({ model, tokenizer });
    const tokens = rollouts();
    const old = await withOldLogProbs(learner, tokens);
    const { gradient } = await routeGradient(learner, tokens, old, "token-mean");
    const lossAt = async (): Promise<number> => {
      const { logProbs } = await learner.forward(tokens.map((t) => learnerDatum(t, [])));
      return customLoss(
        {
          logProb: tokens.map((t, b) => responseValues(t, logProbs[b]!)),
          oldLogProb: old,
          mask: tokens.map((t) => t.lossMask),
          accuracyAdvantages: ACCURACY,
          toolAdvantages: TOOL,
        },
        { ...CLIP, aggMode: "token-mean" },
        TOOL_WEIGHT,
      ).reference.loss;
    };
    // The eight largest gradient entries across all parameters: their finite differences stand out of float32 noise.
    const entries = gradient
      .flatMap((values, v) => Array.from(values, (g, i) => ({ v, i, g })))
      .sort((a, b) => Math.abs(b.g) - Math.abs(a.g))
      .slice(0, 8);
    const variables = model.trainableVariables();
    const h = 5e-3;
    for (const { v, i, g } of entries) {
      const variable = variables[v]!;
      const original = Float32Array.from(variable.dataSync());
      const set = (delta: number): void => {
        const data = Float32Array.from(original);
        data[i] = original[i]! + delta;
        variable.assign(tf.tensor(data, variable.shape));
      };
      set(h);
      const up = await lossAt();
      set(-h);
      const down = await lossAt();
      variable.assign(tf.tensor(original, variable.shape));
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(numeric - g)).toBeLessThan(2e-3 + 0.03 * Math.abs(g));
    }
    await learner.close();
    model.dispose();
  });

  it("one update: loss = wAcc·lossAcc + wTool·lossTool, the tool term is live, and the step moves the weights", async () => {
    const model = tinyModel(13);
    const learner = new TfjsLearner({ model, tokenizer });
    const tokens = rollouts();
    const old = await withOldLogProbs(learner, tokens);
    const samples: PolicySample[] = tokens.map((t, b) => ({
      tokens: { ...t, logProbs: t.lossMask.map((m, j) => (m === 0 ? 0 : old[b]![j]!)) },
      accuracyAdvantage: ACCURACY[b]!,
      toolAdvantage: TOOL[b]!,
    }));
    const settings = parseRlSettings({ learningRate: 1e-3, wTool: TOOL_WEIGHT });
    const before = model.trainableVariables().map((v) => Float32Array.from(v.dataSync()));
    const metrics = await ppoUpdate(samples, { learner, toolWeight: TOOL_WEIGHT, seed: 1 }, settings);
    expect(metrics.updates).toBe(1);
    expect(metrics.lossTool).not.toBe(0);
    expect(metrics.loss).toBeCloseTo(settings.wAcc * metrics.lossAcc + TOOL_WEIGHT * metrics.lossTool, 12);
    // The tensor loss on the same batch (before the step) agrees with what the update reported.
    const model2 = tinyModel(13);
    const mask = padResponses(tokens.map((t) => t.lossMask));
    const shape: [number, number] = [mask.rows, mask.width];
    const tensorLoss = tf.tidy(() => {
      const maskTensor = tf.tensor2d(mask.data, shape);
      const result = hdpoLoss(
        {
          logProb: tf.mul(model2.logProbs(sequenceBatch(tokens)).logProbs, maskTensor),
          oldLogProb: tf.tensor2d(padResponses(old).data, shape),
          mask: maskTensor,
          accuracyAdvantages: tf.tensor1d(ACCURACY),
          toolAdvantages: tf.tensor1d(TOOL),
        },
        { ...CLIP, wTool: TOOL_WEIGHT, aggMode: "token-mean" },
      );
      return [result.lossAcc.dataSync()[0]!, result.lossTool.dataSync()[0]!];
    });
    expect(Math.abs(tensorLoss[0]! - metrics.lossAcc)).toBeLessThan(1e-5);
    expect(Math.abs(tensorLoss[1]! - metrics.lossTool)).toBeLessThan(1e-5);
    const after = model.trainableVariables().map((v) => Float32Array.from(v.dataSync()));
    expect(maxDiff(after, before)).toBeGreaterThan(0);
    // With every rollout's tool advantage 0, the same batch has a zero tool loss: the check above can fail.
    const noTool = await ppoUpdate(
      samples.map((s) => ({ ...s, toolAdvantage: 0 })),
      { learner, toolWeight: TOOL_WEIGHT, seed: 1 },
      settings,
    );
    expect(noTool.lossTool).toBe(0);
    await learner.close();
    model.dispose();
    model2.dispose();
  });

  it("refuses an entropy bonus with one line when the learner cannot compute one", async () => {
    const model = tinyModel(15);
    const learner = new TfjsLearner({ model, tokenizer });
    // The same learner, seen as one without the entropy term (as a Tinker-API learner is).
    const remoteLike = Object.assign(Object.create(learner) as TfjsLearner, {
      info: {
        ...learner.info,
        kind: "tinker",
        capabilities: { ...learner.info.capabilities, entropy: false },
      },
    });
    const tokens = rollouts();
    const samples: PolicySample[] = tokens.map((t, b) => ({
      tokens: t,
      accuracyAdvantage: ACCURACY[b]!,
      toolAdvantage: TOOL[b]!,
    }));
    const settings = parseRlSettings({ entropyCoef: 0.01 });
    await expect(
      ppoUpdate(samples, { learner: remoteLike, toolWeight: 0, seed: 1 }, settings),
    ).rejects.toThrow(
      /rl\.entropyCoef is 0\.01, but the tinker learner cannot compute an entropy bonus.*set rl\.entropyCoef to 0/,
    );
    // The tfjs learner itself takes it.
    const metrics = await ppoUpdate(samples, { learner, toolWeight: 0, seed: 1 }, settings);
    expect(metrics.updates).toBe(1);
    await learner.close();
    model.dispose();
  });

  it("adam steps match a direct tfjs Adam with clipping on the same gradient", async () => {
    // The learner's optimStep is the trainer's former update: Adam (tfjs), global-norm clipping first.
    const model = tinyModel(14);
    const twin = tinyModel(14);
    const learner = new TfjsLearner({ model, tokenizer });
    const tokens = rollouts();
    const old = await withOldLogProbs(learner, tokens);
    const adam: LearnerAdamParams = {
      learningRate: 1e-2,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-7,
      weightDecay: 0,
      gradClipNorm: 1e-3,
    };
    const optimizer = tf.train.adam(adam.learningRate);
    for (let step = 0; step < 3; step++) {
      await routeGradient(learner, tokens, old, "token-mean");
      const { gradNorm } = await learner.optimStep(adam);
      const { grads } = tf.variableGrads(() => {
        const mask = padResponses(tokens.map((t) => t.lossMask));
        const shape: [number, number] = [mask.rows, mask.width];
        const maskTensor = tf.tensor2d(mask.data, shape);
        return hdpoLoss(
          {
            logProb: tf.mul(twin.logProbs(sequenceBatch(tokens)).logProbs, maskTensor),
            oldLogProb: tf.tensor2d(padResponses(old).data, shape),
            mask: maskTensor,
            accuracyAdvantages: tf.tensor1d(ACCURACY),
            toolAdvantages: tf.tensor1d(TOOL),
          },
          { ...CLIP, wTool: TOOL_WEIGHT, aggMode: "token-mean" },
        ).loss;
      }, twin.trainableVariables());
      const norm = Math.sqrt(
        Object.values(grads).reduce((n, g) => n + (tf.sum(tf.square(g)).dataSync()[0] ?? 0), 0),
      );
      expect(Math.abs(norm - gradNorm)).toBeLessThan(1e-4 * norm);
      const scale = adam.gradClipNorm / (norm + 1e-6);
      optimizer.applyGradients(
        Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)])),
      );
      tf.dispose(grads);
    }
    const a = model.trainableVariables().map((v) => Float32Array.from(v.dataSync()));
    const b = twin.trainableVariables().map((v) => Float32Array.from(v.dataSync()));
    expect(maxDiff(a, b)).toBeLessThan(1e-5);
    optimizer.dispose();
    await learner.close();
    model.dispose();
    twin.dispose();
  });
});
