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

// The learner protocol's cost in the quick preset's HDPO step: the same steps (same policy, seeds, prompts) through
// the in-process tfjs learner and through hdpo-learner over HTTP on 127.0.0.1 with the Tinker client. The policy is
// a shortened quick run's SFT policy (200 SFT steps), so that rollouts look like the preset's; the server runs in
// this process, so both sides share one thread as the in-process learner does.
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

describe("quick preset HDPO step (B × G = 4 × 8), wasm", () => {
  bench(
    "rlStep, in-process tfjs learner",
    async () => {
      await rlStep(state(local, localStep++), quick.rl);
    },
    { iterations: 4, warmupIterations: 1 },
  );
  bench(
    "rlStep, hdpo-learner over HTTP (Tinker client)",
    async () => {
      await rlStep(state(remote, remoteStep++), quick.rl);
    },
    { iterations: 4, warmupIterations: 1 },
  );
});

afterAll(async () => {
  await remote.close();
  await server.close(1_000);
  await local.close();
  await setup.close();
});
