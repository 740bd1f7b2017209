import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LearnerAdamParams, LearnerDatum, LearnerSampleRequest } from "@hdpo/core";
import {
  ByteLevelBpeTokenizer,
  DecoderModel,
  loadPolicy,
  ModelConfigSchema,
  type PlainWeight,
  savePolicy,
} from "@hdpo/policy";
import { useBackend } from "@hdpo/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TfjsLearner } from "../tfjs-learner";
import { TinkerLearner } from "./tinker-learner";

// The client against the real hdpo-learner (its built bin, a child process on 127.0.0.1) and, call for call, the
// in-process TfjsLearner on the same checkpoint: the same numbers must come back through the protocol.

const BIN = fileURLToPath(new URL("../../../../apps/learner/dist/hdpo-learner.js", import.meta.url));
const BACKEND = "wasm";
const TOLERANCE = 1e-6;
const corpus = [
  "<reason>The tool is not needed here.</reason><answer>42</answer>",
  "The quick brown fox jumps over the lazy dog. Hello world, hello policy.",
  '<reason>Compute it.</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}</tool_call>',
];

interface Server {
  url: string;
  process: ChildProcess;
}

/** Starts hdpo-learner on a free port and resolves with its URL once it printed its ready line. */
async function startServer(checkpoint: string, stateDir: string): Promise<Server> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing; build hdpo-learner first (cd apps/learner && npx tsup).`);
  }
  const child = spawn(
    process.execPath,
    [BIN, "--checkpoint", checkpoint, "--state-dir", stateDir, "--host", "127.0.0.1", "--port", "0"].concat([
      "--backend",
      BACKEND,
      "--base-model-name",
      "tiny",
      "--session-timeout-sec=-1",
    ]),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      const start = stdout.indexOf("listening on http://");
      if (start < 0) return;
      const from = start + "listening on ".length;
      const end = stdout.indexOf(" ", from);
      if (end > from) resolve(stdout.slice(from, end));
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("exit", (code) =>
      reject(new Error(`hdpo-learner exited (${code}) before it was ready: ${stderr}`)),
    );
  });
  return { url, process: child };
}

async function stopServer(server: Server | undefined): Promise<void> {
  if (server === undefined || server.process.exitCode !== null) return;
  const exited = new Promise((resolve) => server.process.once("exit", resolve));
  server.process.kill("SIGTERM");
  await exited;
}

/** A datum over `ids` with weight `weight(t)` on the response targets (from `promptLength` on), 0 before. */
function datumOf(ids: number[], promptLength: number, weight: (t: number) => number = () => 1): LearnerDatum {
  const targets = ids.slice(1);
  return {
    modelInput: [{ type: "encoded_text", tokens: ids.slice(0, -1) }],
    targetTokens: targets,
    weights: targets.map((_, t) => (t + 1 >= promptLength ? weight(t) : 0)),
  };
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

let root: string;
let tokenizer: ByteLevelBpeTokenizer;
let server: Server | undefined;
let remote: TinkerLearner;
let local: TfjsLearner;
let localModel: DecoderModel;
let data: LearnerDatum[];
let weighted: LearnerDatum[];

beforeAll(async () => {
  await useBackend(BACKEND);
  root = await mkdtemp(join(tmpdir(), "hdpo-tinker-e2e-"));
  const checkpoint = join(root, "tiny");
  tokenizer = ByteLevelBpeTokenizer.train(
    Array.from({ length: 12 }, (_, i) => corpus[i % corpus.length]!),
    { vocabSize: 300 },
  );
  const config = ModelConfigSchema.parse({
    vocab_size: tokenizer.vocabSize,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 64,
    eos_token_id: tokenizer.eosTokenIds[0],
  });
  const seeded = DecoderModel.create(config, { seed: 7 });
  await savePolicy(checkpoint, { model: seeded, tokenizer });
  seeded.dispose();

  server = await startServer(checkpoint, join(root, "server-state"));
  localModel = (await loadPolicy(checkpoint)).model;
  local = new TfjsLearner({
    model: localModel,
    tokenizer,
    stateDirectory: join(root, "local-states"),
    baseModel: "tiny",
  });
  remote = await TinkerLearner.connect({
    baseUrl: server.url,
    baseModel: "tiny",
    loraRank: 0,
    requestTimeoutMs: 30_000,
  });

  const sequences = corpus.map((text) => tokenizer.encode(text).slice(0, 24));
  data = sequences.map((ids) => datumOf(ids, 6));
  // Custom-loss weights: any real numbers, negative ones included (a route-A −dL/dlogp).
  weighted = sequences.map((ids, i) => datumOf(ids, 6, (t) => ((t % 3) - 1) * 0.3 + i * 0.1));
}, 120_000);

afterAll(async () => {
  await remote?.close();
  await local?.close();
  localModel?.dispose();
  await stopServer(server);
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe("TinkerLearner against hdpo-learner", () => {
  it("reports itself and the server's capabilities", () => {
    expect(remote.info.kind).toBe("tinker");
    expect(remote.info.baseModel).toBe("tiny");
    // hdpo-learner advertises the hdpo extension: every Adam field, its own clipping, temperature 1.
    expect(remote.info.capabilities).toEqual({
      entropy: false,
      images: false,
      adamParams: "all",
      temperatures: [1],
    });
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
    const prompt = tokenizer.encode("<reason>The tool");
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
    const directory = join(root, "export", "final");
    await remote.exportWeights(directory);
    const exported = await loadPolicy(directory);
    try {
      expect(maxWeightDifference(exported.model.weights(), localModel.weights())).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(exported.tokenizer.encode(corpus[1]!)).toEqual(tokenizer.encode(corpus[1]!));
    } finally {
      exported.model.dispose();
    }
  });
});
