import { join } from "node:path";
import type { LearnerAdamParams, LearnerDatum, LearnerSampleRequest } from "@hdpo/core";
import { TfjsLearner, TinkerLearner } from "@hdpo/learner";
import { type DecoderModel, loadPolicy, type PlainWeight } from "@hdpo/policy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { learnerDatum } from "./test-support/datums";
import { BASE_NAME, freshStateDir, type RunningLearner, startLearner } from "./test-support/learner-fixture";
import { spawnLearner } from "./test-support/spawned-learner";
import { type TinyCheckpoint, tinyCheckpoint } from "./test-support/tiny-checkpoint";

// @hdpo/learner's Tinker client against the real hdpo-learner and, call for call, the in-process TfjsLearner on the
// same checkpoint: the same numbers must come back through the protocol. The server runs in this process for most
// cases; the last one starts the bin as a child process, as a user does.

const TOLERANCE = 1e-6;
const texts = [
  "<reason>The tool is not needed here.</reason><answer>42</answer>",
  "The quick brown fox jumps over the lazy dog. Hello world, hello learner.",
  '<reason>Compute it.</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}</tool_call>',
];

/** A datum over `ids` with weight `weight(t)` on the response targets (from `promptLength` on), 0 before. */
function datumOf(ids: number[], promptLength: number, weight: (t: number) => number = () => 1): LearnerDatum {
  return learnerDatum(
    ids,
    ids.slice(1).map((_, t) => (t + 1 >= promptLength ? weight(t) : 0)),
  );
}

function expectClose(actual: number[][], expected: number[][], tolerance = TOLERANCE): void {
  expect(actual.map((row) => row.length)).toEqual(expected.map((row) => row.length));
  let worst = 0;
  actual.forEach((row, i) => {
    row.forEach((value, t) => {
      worst = Math.max(worst, Math.abs(value - expected[i]![t]!));
    });
  });
  expect(worst).toBeLessThanOrEqual(tolerance);
}

function maxWeightDifference(a: Map<string, PlainWeight>, b: Map<string, PlainWeight>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let worst = 0;
  for (const [name, weight] of a) {
    const other = b.get(name)!;
    expect(other.shape).toEqual(weight.shape);
    for (let i = 0; i < weight.data.length; i++)
      worst = Math.max(worst, Math.abs(weight.data[i]! - other.data[i]!));
  }
  return worst;
}

const adam: LearnerAdamParams = {
  learningRate: 0.02,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  gradClipNorm: 1,
};

// hdpo-learner advertises the hdpo extension: every Adam field, its own clipping, temperature 1.
const HDPO_LEARNER_CAPABILITIES = { entropy: false, images: false, adamParams: "all", temperatures: [1] };

/** forward → forwardBackward → optimStep → forward on both learners, each result equal to the other's. */
async function expectSameTrainingStep(
  remote: TinkerLearner,
  local: TfjsLearner,
  data: LearnerDatum[],
  weighted: LearnerDatum[],
): Promise<void> {
  const before = [await remote.forward(data), await local.forward(data)];
  expectClose(before[0]!.logProbs, before[1]!.logProbs);

  const remotePass = await remote.forwardBackward(weighted);
  const localPass = await local.forwardBackward(weighted);
  expectClose(remotePass.logProbs, localPass.logProbs);
  expect(remotePass.loss).toBeCloseTo(localPass.loss, 4);

  const remoteStep = await remote.optimStep(adam);
  const localStep = await local.optimStep(adam);
  expect(remoteStep.gradNorm).toBeCloseTo(localStep.gradNorm, 4);
  expect(remoteStep.learningRate).toBe(adam.learningRate);

  const after = [await remote.forward(data), await local.forward(data)];
  expectClose(after[0]!.logProbs, after[1]!.logProbs);
  // The step really moved the weights (else the equalities above would prove little).
  expect(Math.abs(after[0]!.logProbs[0]![10]! - before[0]!.logProbs[0]![10]!)).toBeGreaterThan(1e-4);
}

let checkpoint: TinyCheckpoint;
let server: RunningLearner | undefined;
let remote: TinkerLearner;
let local: TfjsLearner;
let localModel: DecoderModel;
let data: LearnerDatum[];
let weighted: LearnerDatum[];

beforeAll(async () => {
  checkpoint = await tinyCheckpoint();
  // Sessions never expire, as with --session-timeout-sec=-1: a slow machine must not lose the model mid-test.
  server = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root), {
    sessionTimeoutMs: Number.POSITIVE_INFINITY,
  });
  localModel = (await loadPolicy(checkpoint.directory)).model;
  local = new TfjsLearner({
    model: localModel,
    tokenizer: checkpoint.tokenizer,
    stateDirectory: join(checkpoint.root, "local-states"),
    baseModel: BASE_NAME,
  });
  remote = await TinkerLearner.connect({
    baseUrl: server.url,
    baseModel: BASE_NAME,
    loraRank: 0,
    requestTimeoutMs: 30_000,
  });

  const sequences = texts.map((text) => checkpoint.tokenizer.encode(text).slice(0, 24));
  data = sequences.map((ids) => datumOf(ids, 6));
  // Custom-loss weights: any real numbers, negative ones included (a route-A −dL/dlogp).
  weighted = sequences.map((ids, i) => datumOf(ids, 6, (t) => ((t % 3) - 1) * 0.3 + i * 0.1));
}, 120_000);

afterAll(async () => {
  await remote?.close();
  await local?.close();
  localModel?.dispose();
  await server?.close();
  await checkpoint?.remove();
});

describe("TinkerLearner against hdpo-learner", () => {
  it("reports itself and the server's capabilities", () => {
    expect(remote.info.kind).toBe("tinker");
    expect(remote.info.baseModel).toBe(BASE_NAME);
    expect(remote.info.capabilities).toEqual(HDPO_LEARNER_CAPABILITIES);
    expect(remote.modelId).toMatch(/^model_/);
  });

  it("reports the server's refusal of an unknown state in one line and keeps its model", async () => {
    const model = remote.modelId;
    const loading = remote.loadState(`tinker://${model}/weights/never_saved`);
    await expect(loading).rejects.toThrow(/^loadState: the server answered HTTP 404 to .*\/load_weights: /);
    expect(remote.modelId).toBe(model);
    expect((await remote.forward(data)).logProbs).toHaveLength(data.length);
  });

  it("forward → forwardBackward → optimStep → forward gives the in-process learner's numbers", async () => {
    await expectSameTrainingStep(remote, local, data, weighted);
  });

  it("a saved state loaded back continues identically, and weightsOnly restarts Adam", async () => {
    const remotePath = await remote.saveState("e2e_state");
    const localPath = await local.saveState("e2e_state");
    expect(remotePath).toMatch(/^tinker:\/\/model_[^/]+\/weights\/e2e_state$/);
    const saved = (await remote.forward(data)).logProbs;

    const step = async (learner: TinkerLearner | TfjsLearner) => {
      await learner.forwardBackward(weighted);
      await learner.optimStep(adam);
      return (await learner.forward(data)).logProbs;
    };
    const continued = await step(remote);
    expectClose(continued, await step(local));

    const firstModel = remote.modelId;
    await remote.loadState(remotePath);
    await local.loadState(localPath);
    expect(remote.modelId).not.toBe(firstModel);
    expectClose((await remote.forward(data)).logProbs, saved);
    const resumed = await step(remote);
    expectClose(resumed, continued);
    expectClose(await step(local), resumed);

    await remote.loadState(remotePath, { weightsOnly: true });
    await local.loadState(localPath, { weightsOnly: true });
    const restarted = await step(remote);
    expectClose(restarted, await step(local));
    // A fresh Adam takes another step than the restored one.
    expect(Math.abs(restarted[0]![10]! - continued[0]![10]!)).toBeGreaterThan(1e-5);
  });

  it("samples the in-process sampler's tokens for the same seed", async () => {
    const remoteSampler = await remote.samplerForCurrentWeights();
    const localSampler = await local.samplerForCurrentWeights();
    const prompt = checkpoint.tokenizer.encode("<reason>The tool");
    for (const request of [
      { seed: 3, temperature: 1, topP: 1 },
      { seed: 4, temperature: 0.7, topP: 0.9 },
      { seed: 5, temperature: 0, topP: 1 },
    ]) {
      const sampleRequest: LearnerSampleRequest = {
        prompt: [{ type: "encoded_text", tokens: prompt }],
        maxTokens: 12,
        ...request,
      };
      const [fromServer, fromProcess] = [
        await remoteSampler.sample(sampleRequest),
        await localSampler.sample(sampleRequest),
      ];
      expect(fromServer.tokens).toEqual(fromProcess.tokens);
      expect(fromServer.stopReason).toBe(fromProcess.stopReason);
      expectClose([fromServer.logProbs], [fromProcess.logProbs], 1e-5);
    }
  });

  it("exports the weights as a folder loadPolicy reads, equal to the in-process weights", async () => {
    const directory = join(checkpoint.root, "export", "final");
    await remote.exportWeights(directory);
    const exported = await loadPolicy(directory);
    try {
      expect(maxWeightDifference(exported.model.weights(), localModel.weights())).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(exported.tokenizer.encode(texts[1]!)).toEqual(checkpoint.tokenizer.encode(texts[1]!));
    } finally {
      exported.model.dispose();
    }
  });

  it("gets the same numbers from the bin started as a child process", async () => {
    const spawned = await spawnLearner(checkpoint.directory, freshStateDir(checkpoint.root), [
      "--base-model-name",
      BASE_NAME,
      "--session-timeout-sec=-1",
    ]);
    const reference = await loadPolicy(checkpoint.directory);
    const alone = new TfjsLearner({ model: reference.model, tokenizer: reference.tokenizer });
    let client: TinkerLearner | undefined;
    try {
      client = await TinkerLearner.connect({
        baseUrl: spawned.url,
        baseModel: BASE_NAME,
        loraRank: 0,
        requestTimeoutMs: 30_000,
      });
      expect(client.info.capabilities).toEqual(HDPO_LEARNER_CAPABILITIES);
      await expectSameTrainingStep(client, alone, data, weighted);
    } finally {
      await client?.close();
      await alone.close();
      reference.model.dispose();
      await spawned.stop();
    }
    expect(await spawned.exited).toBe(0);
  }, 120_000);
});
