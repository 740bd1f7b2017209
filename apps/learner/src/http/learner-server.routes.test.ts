import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TfjsLearner } from "@hdpo/learner";
import { loadPolicy, ModelSampler } from "@hdpo/policy";
import { extract, list } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adam, learnerDatum, tinkerDatum } from "../test-support/datums";
import { BASE_NAME, freshStateDir, type RunningLearner, startLearner } from "../test-support/learner-fixture";
import { type TinyCheckpoint, tinyCheckpoint } from "../test-support/tiny-checkpoint";

// Every route of the spec's checklist (§2.1–2.19) with its exact response shape; sampling and checkpoints are
// compared with the learner and the sampler called in this process.

let checkpoint: TinyCheckpoint;
let learner: RunningLearner;
let sequence: number[];
let prompt: number[];

beforeAll(async () => {
  checkpoint = await tinyCheckpoint();
  learner = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root));
  sequence = checkpoint.tokenizer.encode("<reason>The tool is not needed here.</reason><answer>42</answer>");
  prompt = checkpoint.tokenizer.encode("<reason>The tool");
});

afterAll(async () => {
  await learner?.close();
  await checkpoint?.remove();
});

async function reference(): Promise<TfjsLearner> {
  const { model, tokenizer } = await loadPolicy(checkpoint.directory);
  return new TfjsLearner({ model, tokenizer });
}

/** One cross_entropy step on `sequence`, over HTTP and on `ref`. */
async function step(modelId: string, ref?: TfjsLearner): Promise<void> {
  await learner.client.ok("forward_backward", {
    model_id: modelId,
    forward_backward_input: { loss_fn: "cross_entropy", data: [tinkerDatum(sequence)] },
  });
  await learner.client.ok("optim_step", { model_id: modelId, adam_params: adam(0.05).tinker });
  if (ref !== undefined) {
    await ref.forwardBackward([learnerDatum(sequence)]);
    await ref.optimStep(adam(0.05).learner);
  }
}

async function logProbs(modelId: string): Promise<number[]> {
  const result = await learner.client.ok("forward", {
    model_id: modelId,
    forward_input: { loss_fn: "cross_entropy", data: [tinkerDatum(sequence)] },
  });
  return result.loss_fn_outputs[0].logprobs.data;
}

const sampleParams = (seed: number, extra: Record<string, unknown> = {}) => ({
  max_tokens: 8,
  temperature: 1,
  top_p: 1,
  top_k: -1,
  seed,
  ...extra,
});

describe("service routes", () => {
  it("healthz, client/config, get_server_capabilities (with the hdpo extension), telemetry, GET /", async () => {
    const { client } = learner;
    expect((await client.get("healthz")).body).toEqual({ status: "ok" });
    expect((await client.post("client/config", "not even json")).body).toEqual({ pjwt_auth_enabled: false });
    expect((await client.post("client/config", {})).body).toEqual({ pjwt_auth_enabled: false });
    expect((await client.get("get_server_capabilities")).body).toEqual({
      supported_models: [{ model_name: BASE_NAME }],
      hdpo: {
        adam_params: "all",
        grad_clip_norm: true,
        temperature: 1,
        loss_fns: ["cross_entropy", "importance_sampling", "ppo"],
        full_parameter: true,
      },
    });
    expect((await client.post("telemetry", { events: [] })).body).toEqual({ status: "accepted" });
    const root = await fetch(`${learner.url}/`);
    expect(((await root.json()) as { endpoints: string[] }).endpoints).toContain(
      "POST /api/v1/forward_backward",
    );
  });

  it("create_session, session_heartbeat, create_model (+ future), get_info, unload_model", async () => {
    const { client } = learner;
    const session = await client.post("create_session", {
      tags: ["hdpo"],
      user_metadata: { run: "exp-7" },
      sdk_version: "ts/0",
      type: "create_session",
      extra_field_the_sdk_sends: 1,
    });
    expect(session.status).toBe(200);
    expect(session.body).toEqual({
      type: "create_session",
      info_message: null,
      warning_message: null,
      error_message: null,
      session_id: expect.stringMatching(/^session_[0-9a-f]{8}$/),
    });
    const sessionId = session.body.session_id;
    expect((await client.post("session_heartbeat", { session_id: sessionId })).body).toEqual({
      type: "session_heartbeat",
    });
    const created = await client.post("create_model", {
      session_id: sessionId,
      base_model: BASE_NAME,
      lora_config: { rank: 32, seed: 0, train_unembed: true },
      model_role: "policy",
    });
    expect(created.body).toEqual({
      model_id: expect.stringMatching(/^model_[0-9a-f]{8}$/),
      base_model: BASE_NAME,
      lora_config: { rank: 32, seed: 0 },
      status: "created",
      request_id: expect.stringMatching(/^\d+$/),
    });
    const modelId = created.body.model_id;
    const ready = await client.retrieve(created.body.request_id);
    expect(ready.body).toEqual({
      model_id: modelId,
      base_model: BASE_NAME,
      lora_config: {
        rank: 32,
        alpha: 32.0,
        seed: 0,
        train_attn: true,
        train_mlp: true,
        train_unembed: false,
      },
    });
    expect((await client.post("get_info", { model_id: modelId, type: "get_info" })).body).toEqual({
      model_id: modelId,
      status: "created",
      model_data: { base_model: BASE_NAME, lora_config: { rank: 32, seed: null }, model_name: BASE_NAME },
    });
    const unloaded = await client.post("unload_model", { model_id: modelId, type: "unload_model" });
    expect(unloaded.body).toEqual({ request_id: expect.stringMatching(/^\d+$/), model_id: modelId });
    expect(Number(unloaded.body.request_id)).toBeGreaterThan(Number(created.body.request_id));
    expect((await client.retrieve(unloaded.body.request_id)).body).toEqual({
      model_id: modelId,
      status: "unloaded",
      type: "unload_model",
    });
    expect((await client.post("get_info", { model_id: modelId })).body.status).toBe("unloaded");
    const after = await client.run("forward", {
      model_id: modelId,
      forward_input: { loss_fn: "cross_entropy", data: [tinkerDatum(sequence)] },
    });
    expect(after.status).toBe(400);
    expect(after.body.detail).toContain("unloaded");
  });
});

describe("checkpoints", () => {
  it("save_weights, the listings, weights_info, and load_weights (weights and optimizer) into a new model", async () => {
    const { client } = learner;
    const { sessionId, modelId } = await client.model(BASE_NAME);
    const ref = await reference();
    await step(modelId, ref);
    const saved = await client.ok("save_weights", {
      model_id: modelId,
      path: "step_1",
      type: "save_weights",
    });
    expect(saved).toEqual({ path: `tinker://${modelId}/weights/step_1`, type: "save_weights" });
    const listing = await client.get(`training_runs/${modelId}/checkpoints`);
    expect(listing.body).toEqual({
      checkpoints: [
        {
          checkpoint_id: "step_1",
          checkpoint_type: "training",
          time: expect.any(String),
          tinker_path: `tinker://${modelId}/weights/step_1`,
        },
      ],
    });
    expect(Number.isNaN(Date.parse(listing.body.checkpoints[0].time))).toBe(false);
    expect((await client.get(`models/${modelId}/checkpoints`)).body).toEqual(listing.body);
    const run = await client.get(`training_runs/${modelId}`);
    expect(run.body).toMatchObject({
      training_run_id: modelId,
      base_model: BASE_NAME,
      model_owner: "default",
      corrupted: false,
      lora_rank: 0,
      last_checkpoint: listing.body.checkpoints[0],
      last_sampler_checkpoint: null,
      user_metadata: null,
    });
    const runs = await client.get("training_runs?limit=1000&offset=0");
    expect(runs.body.cursor).toEqual({ offset: 0, limit: 1000, total_count: runs.body.training_runs.length });
    expect(runs.body.training_runs.map((r: { training_run_id: string }) => r.training_run_id)).toContain(
      modelId,
    );
    expect(
      (await client.post("weights_info", { tinker_path: `tinker://${modelId}/weights/step_1` })).body,
    ).toEqual({ base_model: BASE_NAME, is_lora: false, lora_rank: 0 });

    // Both continue with one more step: the loaded model (optimizer state included) must follow the original.
    const { modelId: loadedId } = await client.model(BASE_NAME, sessionId);
    const loaded = await client.ok("load_weights", {
      model_id: loadedId,
      path: `tinker://${modelId}/weights/step_1`,
      optimizer: true,
      seq_id: 1,
    });
    expect(loaded).toEqual({ type: "load_weights" });
    expect(await logProbs(loadedId)).toEqual(await logProbs(modelId));
    await step(modelId, ref);
    await step(loadedId);
    const expected = (await ref.forward([learnerDatum(sequence)])).logProbs[0];
    expect(await logProbs(modelId)).toEqual(expected);
    expect(await logProbs(loadedId)).toEqual(expected);
    // Weights only: a fresh optimizer, so the next step differs (positive control for the optimizer state).
    const { modelId: weightsOnlyId } = await client.model(BASE_NAME, sessionId);
    await client.ok("load_weights", {
      model_id: weightsOnlyId,
      path: `tinker://${modelId}/weights/step_1`,
      optimizer: false,
    });
    await step(weightsOnlyId);
    expect(await logProbs(weightsOnlyId)).not.toEqual(expected);
  });

  it("save_weights_for_sampler with a path: sampling from it (both path forms) and its archive, a tar of the Hugging Face folder", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    const ref = await reference();
    await step(modelId, ref);
    const saved = await client.ok("save_weights_for_sampler", {
      model_id: modelId,
      path: "final",
      type: "save_weights_for_sampler",
    });
    expect(saved).toEqual({
      path: `tinker://${modelId}/final`,
      type: "save_weights_for_sampler",
      sampling_session_id: null,
    });
    const listing = await client.get(`training_runs/${modelId}/checkpoints`);
    expect(listing.body.checkpoints).toEqual([
      expect.objectContaining({
        checkpoint_id: "final",
        checkpoint_type: "sampler",
        tinker_path: `tinker://${modelId}/sampler_weights/final`,
      }),
    ]);

    const { model: refModel, tokenizer } = await loadPolicy(checkpoint.directory);
    refModel.setWeights((ref as unknown as { model: typeof refModel }).model.weights());
    const sampler = new ModelSampler(refModel, tokenizer);
    const expected = await Promise.all(
      [11, 12].map((seed) =>
        sampler.sample({
          prompt: [{ type: "encoded_text", tokens: prompt }],
          maxTokens: 8,
          temperature: 1,
          topP: 1,
          seed,
        }),
      ),
    );
    for (const modelPath of [`tinker://${modelId}/final`, `tinker://${modelId}/sampler_weights/final`]) {
      const sampled = await client.ok("asample", {
        model_path: modelPath,
        num_samples: 2,
        prompt: { chunks: [{ type: "encoded_text", tokens: prompt }] },
        sampling_params: sampleParams(11),
        type: "sample",
      });
      expect(sampled).toEqual({
        sequences: expected.map((s) => ({
          stop_reason: s.stopReason,
          tokens: s.tokens,
          logprobs: s.logProbs,
        })),
        prompt_logprobs: null,
        topk_prompt_logprobs: null,
      });
    }

    const archive = await fetch(`${learner.url}/api/v1/training_runs/${modelId}/checkpoints/final/archive`, {
      redirect: "manual",
    });
    expect(archive.status).toBe(302);
    expect(archive.headers.get("location")).toBe(
      `/api/v1/training_runs/${modelId}/checkpoints/final/download`,
    );
    const download = await fetch(`${learner.url}/api/v1/training_runs/${modelId}/checkpoints/final/archive`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/octet-stream");
    const tarFile = join(checkpoint.root, `${modelId}.tar`);
    await writeFile(tarFile, Buffer.from(await download.arrayBuffer()));
    const names: string[] = [];
    await list({ file: tarFile, onReadEntry: (entry) => names.push(entry.path) });
    expect(names).toEqual(
      expect.arrayContaining(["./config.json", "./model.safetensors", "./tokenizer.json"]),
    );
    const unpacked = join(checkpoint.root, `${modelId}-unpacked`);
    await mkdir(unpacked);
    await extract({ file: tarFile, cwd: unpacked });
    const exported = await loadPolicy(unpacked);
    const fromArchive = new TfjsLearner({ model: exported.model, tokenizer: exported.tokenizer });
    expect((await fromArchive.forward([learnerDatum(sequence)])).logProbs[0]).toEqual(
      await logProbs(modelId),
    );
  });

  it("ephemeral sampler weights: a sampling session pinned to the weights at the save, unchanged by later steps", async () => {
    const { client } = learner;
    const { sessionId, modelId } = await client.model(BASE_NAME);
    const ref = await reference();
    await step(modelId, ref);
    const pushed = await client.ok("save_weights_for_sampler", {
      model_id: modelId,
      sampling_session_seq_id: 0,
      seq_id: 3,
    });
    expect(pushed).toEqual({
      path: null,
      type: "save_weights_for_sampler",
      sampling_session_id: expect.stringMatching(/^sampling_[0-9a-f]{8}$/),
    });
    const samplerId = pushed.sampling_session_id;
    expect((await client.get(`samplers/${samplerId}`)).body).toEqual({
      sampler_id: samplerId,
      base_model: BASE_NAME,
      model_path: `tinker://${modelId}/sampler_weights/ss0_seq3`,
    });
    const { model: refModel, tokenizer } = await loadPolicy(checkpoint.directory);
    refModel.setWeights((ref as unknown as { model: typeof refModel }).model.weights());
    const expected = await new ModelSampler(refModel, tokenizer).sample({
      prompt: [{ type: "encoded_text", tokens: prompt }],
      maxTokens: 8,
      temperature: 1,
      topP: 1,
      seed: 5,
    });
    await step(modelId); // the model moves on; the pinned sampler weights do not
    const sampled = await client.ok("asample", {
      sampling_session_id: samplerId,
      seq_id: 0,
      prompt: { chunks: [{ tokens: prompt }] },
      sampling_params: sampleParams(5),
    });
    expect(sampled.sequences).toEqual([
      { stop_reason: expected.stopReason, tokens: expected.tokens, logprobs: expected.logProbs },
    ]);
    // A sampling session made by create_sampling_session on the same path sees the same weights.
    const session = await client.post("create_sampling_session", {
      session_id: sessionId,
      sampling_session_seq_id: 1,
      model_path: `tinker://${modelId}/sampler_weights/ss0_seq3`,
      type: "create_sampling_session",
    });
    expect(session.body).toEqual({
      type: "create_sampling_session",
      sampling_session_id: expect.stringMatching(/^sampling_[0-9a-f]{8}$/),
    });
    const again = await client.ok("asample", {
      sampling_session_id: session.body.sampling_session_id,
      seq_id: 0,
      prompt: { chunks: [{ tokens: prompt }] },
      sampling_params: sampleParams(5),
    });
    expect(again.sequences).toEqual(sampled.sequences);
    // Ephemeral weights have no archive.
    const archive = await client.get(`training_runs/${modelId}/checkpoints/ss0_seq3/download`);
    expect(archive.status).toBe(404);
    expect(archive.body.detail).toContain("ephemeral");
  });
});

describe("sampling", () => {
  it("samples the base model (base_model, or a sampling session), seeds seed, seed+1, …, stop strings and ids, prompt log-probs", async () => {
    const { client } = learner;
    const sessionId = await client.session();
    const { model, tokenizer } = await loadPolicy(checkpoint.directory);
    const sampler = new ModelSampler(model, tokenizer);
    const request = (seed: number, stop?: string[] | number[]) => ({
      prompt: [{ type: "encoded_text" as const, tokens: prompt }],
      maxTokens: 8,
      temperature: 1,
      topP: 1,
      seed,
      ...(stop !== undefined ? { stop } : {}),
    });
    const three = await client.ok("asample", {
      base_model: BASE_NAME,
      num_samples: 3,
      prompt: { chunks: [{ type: "encoded_text", tokens: prompt }] },
      sampling_params: sampleParams(40),
    });
    const expected = await Promise.all([40, 41, 42].map((seed) => sampler.sample(request(seed))));
    expect(three.sequences).toEqual(
      expected.map((s) => ({ stop_reason: s.stopReason, tokens: s.tokens, logprobs: s.logProbs })),
    );
    const samplingSession = await client.post("create_sampling_session", {
      session_id: sessionId,
      sampling_session_seq_id: 0,
      base_model: BASE_NAME,
    });
    expect((await client.get(`samplers/${samplingSession.body.sampling_session_id}`)).body).toEqual({
      sampler_id: samplingSession.body.sampling_session_id,
      base_model: BASE_NAME,
      model_path: null,
    });
    const one = await client.ok("asample", {
      sampling_session_id: samplingSession.body.sampling_session_id,
      seq_id: 7,
      prompt: { chunks: [{ tokens: prompt }] },
      sampling_params: sampleParams(41),
    });
    expect(one.sequences[0]).toEqual(three.sequences[1]);

    // Stop strings are kept at the end, as the reference's rollouts keep them; stop ids likewise.
    const text = tokenizer.decode(expected[0]!.tokens);
    const stopString = text.slice(2, 4);
    const stopped = await client.ok("asample", {
      base_model: BASE_NAME,
      prompt: { chunks: [{ tokens: prompt }] },
      sampling_params: sampleParams(40, { stop: [stopString] }),
    });
    const expectStopped = await sampler.sample(request(40, [stopString]));
    expect(stopped.sequences[0]).toEqual({
      stop_reason: "stop",
      tokens: expectStopped.tokens,
      logprobs: expectStopped.logProbs,
    });
    const stopId = expected[0]!.tokens[1]!;
    const byId = await client.ok("asample", {
      base_model: BASE_NAME,
      prompt: { chunks: [{ tokens: prompt }] },
      sampling_params: sampleParams(40, { stop: [stopId] }),
    });
    expect(byId.sequences[0].tokens).toEqual(expected[0]!.tokens.slice(0, 2));
    expect(byId.sequences[0].stop_reason).toBe("stop");

    const withPrompt = await client.ok("asample", {
      base_model: BASE_NAME,
      prompt: { chunks: [{ tokens: prompt }] },
      sampling_params: sampleParams(40, { max_tokens: 1 }),
      prompt_logprobs: true,
    });
    const scored = await new TfjsLearner({ model, tokenizer }).forward([learnerDatum(prompt)]);
    expect(withPrompt.prompt_logprobs).toEqual([null, ...scored.logProbs[0]!]);
    expect(withPrompt.sequences[0].stop_reason).toBe("length");
  });
});
