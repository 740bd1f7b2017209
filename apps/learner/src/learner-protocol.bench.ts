import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TfjsLearner, TinkerLearner } from "@hdpo/learner";
import { loadPolicy } from "@hdpo/policy";
import { PRESETS, parseRunConfig, prepareTraining, type RlState, rlStep, train } from "@hdpo/trainer";
import { afterAll, bench, describe } from "vitest";
import { createLearnerHttpServer } from "./http/learner-http-server";
import { loadBaseModel } from "./service/base-model";
import { LearnerService } from "./service/learner-service";
import { spawnLearner } from "./test-support/spawned-learner";

// The learner protocol's cost in the quick preset's HDPO step: the same steps (same policy, seeds, prompts, and the
// same numbers) through the in-process tfjs learner and through hdpo-learner over HTTP on 127.0.0.1 with the Tinker
// client — the server in its own process, as it is deployed, and in this process, where both sides share one thread
// (every byte of the protocol is then on the step's critical path). The policy is a shortened quick run's SFT policy
// (200 SFT steps), so that rollouts look like the preset's.
const root = await mkdtemp(join(tmpdir(), "learner-protocol-bench-"));
const quick = parseRunConfig(PRESETS.quick);
const config = parseRunConfig({
  ...PRESETS.quick,
  sft: { ...PRESETS.quick.sft, steps: 200 },
  rl: { ...PRESETS.quick.rl, steps: 1 },
  eval: { ...PRESETS.quick.eval, limit: 4 },
});
await train({ config, out: join(root, "sft-run") });
const sftPolicy = join(root, "sft-run", "sft");
const setup = await prepareTraining(quick, join(root, "data"), { coldStart: false });
const { model, tokenizer } = await loadPolicy(sftPolicy);
const local = new TfjsLearner({ model, tokenizer });
const service = await LearnerService.open({
  base: await loadBaseModel(sftPolicy, "quick-sft"),
  stateDir: join(root, "server-state"),
  log: () => undefined,
});
const server = createLearnerHttpServer({ service });
const { url } = await server.listen(0, "127.0.0.1");
const remote = await TinkerLearner.connect({
  baseUrl: url,
  baseModel: "quick-sft",
  loraRank: 0,
  heartbeat: false,
});
// The option given last wins: the server samples and trains on wasm as the in-process learner does.
const child = await spawnLearner(sftPolicy, join(root, "child-state"), [
  "--backend",
  "wasm",
  "--base-model-name",
  "quick-sft",
]);
const separate = await TinkerLearner.connect({
  baseUrl: child.url,
  baseModel: "quick-sft",
  loraRank: 0,
  heartbeat: false,
});

const state = (learner: RlState["learner"], step: number): RlState => ({
  learner,
  tokenizer,
  tools: setup.tools,
  judge: setup.judge,
  tasks: setup.trainTasks,
  systemPrompt: setup.systemPrompt,
  seed: quick.seed,
  step,
});
let localStep = 0;
let remoteStep = 0;
let separateStep = 0;

describe("quick preset HDPO step (B × G = 4 × 8), wasm", () => {
  bench(
    "rlStep, in-process tfjs learner",
    async () => {
      await rlStep(state(local, localStep++), quick.rl);
    },
    { iterations: 4, warmupIterations: 1 },
  );
  bench(
    "rlStep, hdpo-learner in its own process, over HTTP (Tinker client)",
    async () => {
      await rlStep(state(separate, separateStep++), quick.rl);
    },
    { iterations: 4, warmupIterations: 1 },
  );
  bench(
    "rlStep, hdpo-learner in this process, over HTTP (Tinker client)",
    async () => {
      await rlStep(state(remote, remoteStep++), quick.rl);
    },
    { iterations: 4, warmupIterations: 1 },
  );
});

afterAll(async () => {
  await separate.close();
  await child.stop();
  await remote.close();
  await server.close(1_000);
  await local.close();
  await setup.close();
});
