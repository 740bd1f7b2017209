import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adam, tinkerDatum } from "../test-support/datums";
import { BASE_NAME, freshStateDir, type RunningLearner, startLearner } from "../test-support/learner-fixture";
import { type TinyCheckpoint, tinyCheckpoint } from "../test-support/tiny-checkpoint";

// Every documented error of the spec, in its exact shape, and bad input that must neither crash nor freeze the server.

/** Holds every queued job until released, so that futures and checkpoints can be observed while pending. */
class JobGate {
  private held: Promise<void> | undefined;
  private open: (() => void) | undefined;
  hold(): void {
    this.held = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open?.();
    this.held = undefined;
  }
  readonly beforeJob = async (): Promise<void> => {
    await this.held;
  };
}

let checkpoint: TinyCheckpoint;
let learner: RunningLearner;
const gate = new JobGate();
let sequence: number[];

beforeAll(async () => {
  checkpoint = await tinyCheckpoint();
  learner = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root), {
    beforeJob: gate.beforeJob,
    retrieveTimeoutMs: 200,
    maxBodyBytes: 64 * 1024,
    bodyTimeoutMs: 300,
  });
  sequence = checkpoint.tokenizer.encode("Hello world, hello learner.");
});

afterAll(async () => {
  gate.release();
  await learner?.close();
  await checkpoint?.remove();
});

const fbInput = (data = [tinkerDatum(sequence)], lossFn = "cross_entropy") => ({ loss_fn: lossFn, data });

describe("documented errors", () => {
  it("404: unknown session, model, future, sampling session, sampler, checkpoint, route; 405", async () => {
    const { client } = learner;
    const notFound = (detail: string) => ({ status: 404, body: { detail } });
    const pick = (a: { status: number; body: unknown }) => ({ status: a.status, body: a.body });
    expect(pick(await client.post("session_heartbeat", { session_id: "session_00000000" }))).toEqual(
      notFound("Session not found"),
    );
    expect(
      pick(
        await client.post("create_model", {
          session_id: "nope",
          base_model: BASE_NAME,
          lora_config: { rank: 0 },
        }),
      ),
    ).toEqual(notFound("Session not found"));
    expect(
      pick(
        await client.post("create_sampling_session", {
          session_id: "nope",
          sampling_session_seq_id: 0,
          base_model: BASE_NAME,
        }),
      ),
    ).toEqual(notFound("Session not found"));
    const model = "model_00000000";
    for (const [path, body] of [
      ["get_info", { model_id: model }],
      ["unload_model", { model_id: model }],
      ["forward", { model_id: model, forward_input: fbInput() }],
      ["forward_backward", { model_id: model, forward_backward_input: fbInput() }],
      ["optim_step", { model_id: model, adam_params: {} }],
      ["save_weights_for_sampler", { model_id: model, path: "x" }],
      ["save_weights", { model_id: model, path: "x" }],
      ["load_weights", { model_id: model, path: "tinker://a/weights/b" }],
      [
        "asample",
        { model_path: `tinker://${model}/x`, prompt: { chunks: [] }, sampling_params: { max_tokens: 1 } },
      ],
    ] as const) {
      expect(pick(await client.post(path, body)), path).toEqual(notFound("Model not found"));
    }
    expect(pick(await client.post("retrieve_future", { request_id: "999999" }))).toEqual(
      notFound("Future not found"),
    );
    expect(
      pick(
        await client.post("asample", {
          sampling_session_id: "sampling_00000000",
          seq_id: 0,
          prompt: { chunks: [] },
          sampling_params: { max_tokens: 1 },
        }),
      ),
    ).toEqual(notFound("Sampling session not found"));
    expect(pick(await client.get("samplers/sampling_00000000"))).toEqual(notFound("Sampler not found"));
    const { modelId } = await client.model(BASE_NAME);
    expect(
      pick(
        await client.post("load_weights", { model_id: modelId, path: `tinker://${modelId}/weights/none` }),
      ),
    ).toEqual(notFound(`Checkpoint not found: ${modelId}/none`));
    expect(pick(await client.get(`training_runs/${modelId}/checkpoints/none/archive`))).toEqual(
      notFound(`Checkpoint not found: ${modelId}/none`),
    );
    expect(pick(await client.get("no_such_route"))).toEqual(notFound("Not Found"));
    expect(pick(await client.get("forward"))).toEqual({
      status: 405,
      body: { detail: "Method Not Allowed" },
    });
  });

  it("409: a reused seq_id with another payload or type, an existing checkpoint name", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    const first = await client.post("forward", { model_id: modelId, seq_id: 1, forward_input: fbInput() });
    expect(first.status).toBe(200);
    const conflict = { status: 409, body: { detail: "Training request sequence number was reused" } };
    const weighted = [tinkerDatum(sequence, { weights: sequence.slice(1).map(() => 2) })];
    const other = await client.post("forward", {
      model_id: modelId,
      seq_id: 1,
      forward_input: fbInput(weighted),
    });
    expect({ status: other.status, body: other.body }).toEqual(conflict);
    const otherType = await client.post("forward_backward", {
      model_id: modelId,
      seq_id: 1,
      forward_backward_input: fbInput(),
    });
    expect({ status: otherType.status, body: otherType.body }).toEqual(conflict);
    await client.ok("save_weights", { model_id: modelId, path: "ckpt" });
    const again = await client.post("save_weights", { model_id: modelId, path: "ckpt" });
    expect({ status: again.status, body: again.body }).toEqual({
      status: 409,
      body: { detail: `Checkpoint 'ckpt' already exists for model '${modelId}'` },
    });
    await client.ok("save_weights_for_sampler", { model_id: modelId, sampling_session_seq_id: 0, seq_id: 1 });
    const samplerAgain = await client.post("save_weights_for_sampler", {
      model_id: modelId,
      sampling_session_seq_id: 0,
      seq_id: 1,
    });
    expect(samplerAgain.status).toBe(409);
    expect(samplerAgain.body.detail).toBe(`Checkpoint 'ss0_seq1' already exists for model '${modelId}'`);
  });

  it("400: load_weights not as a model's first request or with a malformed path; asample's parameter checks", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    await client.ok("save_weights", { model_id: modelId, path: "s" });
    const source = `tinker://${modelId}/weights/s`;
    const late = await client.post("load_weights", { model_id: modelId, path: source, seq_id: 4 });
    expect({ status: late.status, body: late.body }).toEqual({
      status: 400,
      body: { detail: "LoadWeights is not permitted with seq_id 4" },
    });
    const { modelId: fresh } = await client.model(BASE_NAME);
    const malformed = await client.post("load_weights", {
      model_id: fresh,
      path: `tinker://${modelId}/sampler_weights/s`,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toBe(
      "request.path must be in format tinker://source_model_id/weights/checkpoint_id",
    );
    expect((await client.run("load_weights", { model_id: fresh, path: source })).status).toBe(200);

    const sample = (samplingParams: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      client.post("asample", {
        base_model: BASE_NAME,
        prompt: { chunks: [{ tokens: sequence.slice(0, 3) }] },
        sampling_params: samplingParams,
        ...extra,
      });
    const detail = async (answer: Promise<{ status: number; body: { detail: unknown } }>) => {
      const { status, body } = await answer;
      return { status, detail: body.detail };
    };
    expect(await detail(sample({}))).toEqual({ status: 400, detail: "max_tokens is currently required" });
    expect(await detail(sample({ max_tokens: 0 }))).toEqual({
      status: 400,
      detail: "max_tokens must be a positive number",
    });
    expect(await detail(sample({ max_tokens: 2, stop: ["x", 3] }))).toEqual({
      status: 400,
      detail: "stop must be either all integers (token IDs) or all strings, not mixed",
    });
    expect((await sample({ max_tokens: 2, top_k: 5 })).status).toBe(400);
    expect(
      await detail(
        client.post("asample", {
          sampling_session_id: "a:b",
          seq_id: 1,
          prompt: { chunks: [] },
          sampling_params: { max_tokens: 1 },
        }),
      ),
    ).toEqual({
      status: 400,
      detail: "sampling_session_id must not contain ':' (the routing-key delimiter)",
    });
    const session = await client.session();
    expect(
      await detail(
        client.post("create_sampling_session", {
          session_id: session,
          sampling_session_seq_id: 0,
          base_model: BASE_NAME,
          model_path: "tinker://x/y",
        }),
      ),
    ).toEqual({ status: 400, detail: "Exactly one of base_model or model_path must be provided" });
  });

  it("425 while a sampler checkpoint is pending; futures pending → 408 on a short wait → done, and → error", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    gate.hold();
    try {
      const save = await client.post("save_weights_for_sampler", { model_id: modelId, path: "later" });
      expect(save.status).toBe(200);
      const early = await client.post("asample", {
        model_path: `tinker://${modelId}/later`,
        prompt: { chunks: [{ tokens: sequence.slice(0, 3) }] },
        sampling_params: { max_tokens: 2 },
      });
      expect({ status: early.status, body: early.body }).toEqual({
        status: 425,
        body: { detail: "Checkpoint is still being created" },
      });
      const training = await client.post("save_weights", { model_id: modelId, path: "train_later" });
      const { modelId: other } = {
        modelId: (
          await client.post("create_model", {
            session_id: await client.session(),
            base_model: BASE_NAME,
            lora_config: { rank: 0 },
          })
        ).body.model_id,
      };
      const loadEarly = await client.post("load_weights", {
        model_id: other,
        path: `tinker://${modelId}/weights/train_later`,
      });
      expect({ status: loadEarly.status, body: loadEarly.body }).toEqual({
        status: 425,
        body: { detail: "Checkpoint is still being created" },
      });
      const wait = await client.post("retrieve_future", { request_id: save.body.request_id });
      expect({ status: wait.status, body: wait.body }).toEqual({
        status: 408,
        body: { detail: "Timeout waiting for result" },
      });
      const failing = await client.post("optim_step", { model_id: modelId, adam_params: adam(0.1).tinker });
      expect(failing.body).toEqual({
        future_id: failing.body.request_id,
        status: "pending",
        request_id: failing.body.request_id,
      });
      const stillPending = await client.post("retrieve_future", { request_id: failing.body.request_id });
      expect(stillPending.status).toBe(408);
      gate.release();
      expect((await client.retrieve(save.body.request_id)).body).toEqual({
        path: `tinker://${modelId}/later`,
        type: "save_weights_for_sampler",
        sampling_session_id: null,
      });
      expect((await client.retrieve(training.body.request_id)).status).toBe(200);
      const failed = await client.retrieve(failing.body.request_id);
      expect(failed.status).toBe(400);
      expect(failed.body.detail).toContain("no gradient was accumulated");
      // Results stay retrievable.
      expect((await client.retrieve(save.body.request_id)).status).toBe(200);
    } finally {
      gate.release();
    }
  });

  it("failed futures say what went wrong: unsupported loss, misaligned targets, images, the model cap, an unloaded model", async () => {
    const { client } = learner;
    const { modelId } = await client.model(BASE_NAME);
    const gspo = await client.run("forward_backward", {
      model_id: modelId,
      forward_backward_input: fbInput(undefined, "gspo"),
    });
    expect(gspo.status).toBe(400);
    expect(gspo.body.detail).toContain(
      "loss_fn 'gspo' is not supported by hdpo-learner; it runs cross_entropy, importance_sampling, ppo",
    );
    const shifted = tinkerDatum(sequence);
    shifted.loss_fn_inputs.target_tokens = { data: sequence.slice(0, -1) };
    const misaligned = await client.run("forward", { model_id: modelId, forward_input: fbInput([shifted]) });
    expect(misaligned.status).toBe(400);
    expect(misaligned.body.detail).toContain("datum 0: target_tokens[0]");
    const image = {
      model_input: { chunks: [{ data: "AAAA", format: "png" }] },
      loss_fn_inputs: { target_tokens: { data: [1] } },
    };
    const imaged = await client.run("forward", {
      model_id: modelId,
      forward_input: fbInput([image as never]),
    });
    expect(imaged.body.detail).toContain("reads text only");
    const noRl = await client.run("forward_backward", {
      model_id: modelId,
      forward_backward_input: fbInput(undefined, "ppo"),
    });
    expect(noRl.body.detail).toContain("needs loss_fn_inputs.logprobs");
    const wrongBase = await client.post("create_model", {
      session_id: await client.session(),
      base_model: "Qwen/Qwen3-8B",
      lora_config: { rank: 8 },
    });
    const refused = await client.retrieve(wrongBase.body.request_id);
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain(`this server trains '${BASE_NAME}'`);

    const capped = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root), { maxModels: 1 });
    try {
      await capped.client.model(BASE_NAME);
      const second = await capped.client.post("create_model", {
        session_id: await capped.client.session(),
        base_model: BASE_NAME,
        lora_config: { rank: 0 },
      });
      expect(second.status).toBe(200);
      const over = await capped.client.retrieve(second.body.request_id);
      expect(over.status).toBe(400);
      expect(over.body.detail).toContain("at most 1 models at once (--max-models)");
    } finally {
      await capped.close();
    }
  });

  it("422 in FastAPI's shape for malformed bodies, never echoing a large input", async () => {
    const { client } = learner;
    const invalidJson = await client.post("create_session", "{not json");
    expect(invalidJson.status).toBe(422);
    expect(invalidJson.body.detail[0]).toMatchObject({ type: "json_invalid", loc: ["body"] });
    const notObject = await client.post("create_session", [1, 2]);
    expect(notObject.body.detail[0]).toMatchObject({ type: "model_attributes_type", loc: ["body"] });
    const missing = await client.post("create_session", { tags: "x" });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual([
      { type: "list_type", loc: ["body", "tags"], msg: "Input should be a valid list", input: "x" },
      { type: "missing", loc: ["body", "sdk_version"], msg: "Field required", input: null },
    ]);
    const { modelId } = await client.model(BASE_NAME);
    const cases: [string, unknown, (string | number)[]][] = [
      [
        "forward",
        { model_id: modelId, forward_input: { loss_fn: "nope", data: [] } },
        ["body", "forward_input", "loss_fn"],
      ],
      [
        "forward_backward",
        {
          model_id: modelId,
          forward_backward_input: {
            loss_fn: "cross_entropy",
            loss_fn_config: { clip_low_threshold: 1 },
            data: [],
          },
        },
        ["body", "forward_backward_input", "loss_fn_config"],
      ],
      [
        "forward",
        {
          model_id: modelId,
          forward_input: {
            loss_fn: "cross_entropy",
            data: [{ model_input: { chunks: [] }, loss_fn_inputs: {} }],
          },
        },
        ["body", "forward_input", "data", 0, "loss_fn_inputs", "target_tokens"],
      ],
      [
        "forward",
        {
          model_id: modelId,
          forward_input: {
            loss_fn: "cross_entropy",
            data: [
              {
                model_input: { chunks: [{ tokens: [1.5] }] },
                loss_fn_inputs: { target_tokens: { data: [1] } },
              },
            ],
          },
        },
        ["body", "forward_input", "data", 0, "model_input", "chunks", 0, "tokens", 0],
      ],
      ["optim_step", { model_id: modelId, adam_params: { beta1: 1 } }, ["body", "adam_params", "beta1"]],
      ["optim_step", { model_id: modelId, adam_params: { eps: 0 } }, ["body", "adam_params", "eps"]],
      [
        "optim_step",
        { model_id: modelId, adam_params: { learning_rate: -1 } },
        ["body", "adam_params", "learning_rate"],
      ],
      ["optim_step", { model_id: modelId }, ["body", "adam_params"]],
      ["save_weights", { model_id: modelId, path: "../etc" }, ["body", "path"]],
      ["save_weights_for_sampler", { model_id: modelId }, ["body"]],
      [
        "asample",
        { base_model: BASE_NAME, model_path: "tinker://m/c", prompt: { chunks: [] }, sampling_params: {} },
        ["body"],
      ],
      ["asample", { sampling_session_id: "s", prompt: { chunks: [] }, sampling_params: {} }, ["body"]],
      ["retrieve_future", { request_id: "abc" }, ["body", "request_id"]],
      ["retrieve_future", { request_id: 5 }, ["body", "request_id"]],
    ];
    for (const [path, body, loc] of cases) {
      const answer = await client.post(path, body);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(422);
      expect(
        answer.body.detail.map((d: { loc: unknown }) => d.loc),
        path,
      ).toContainEqual(loc);
      for (const d of answer.body.detail)
        expect(Object.keys(d).sort()).toEqual(["input", "loc", "msg", "type"]);
    }
    // A huge wrong value is described, not echoed.
    const huge = "x".repeat(50_000);
    const big = await client.post("get_info", { model_id: [huge] });
    expect(big.status).toBe(422);
    expect(JSON.stringify(big.body).length).toBeLessThan(1_000);
    expect(big.body.detail[0].input).toBe("an array of 1 items");
    // Unknown fields are ignored.
    expect((await client.post("get_info", { model_id: modelId, surprise: { deep: [1, 2, 3] } })).status).toBe(
      200,
    );
  });
});

describe("hostile input", () => {
  it("refuses oversized, deeply nested and stalled bodies, and cross-origin browsers, and keeps serving", async () => {
    const { client } = learner;
    const big = await client.post("create_session", { tags: ["x".repeat(100_000)], sdk_version: "t" });
    expect(big.status).toBe(413);
    const deep = await client.post("create_session", `${"[".repeat(5_000)}${"]".repeat(5_000)}`);
    expect(deep.status).toBe(400);
    expect(deep.body.detail).toContain("deeper than 64 levels");
    const crossOrigin = await client.post(
      "create_session",
      { tags: [], sdk_version: "t" },
      { headers: { origin: "https://evil.example" } },
    );
    expect(crossOrigin.status).toBe(403);
    // A body that never finishes: 408 after the body timeout (300 ms here), not a held slot.
    const port = new URL(learner.url).port;
    const stalled = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/v1/create_session",
          headers: { "content-length": "100" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write('{"tags": [');
    });
    expect(stalled).toBe(408);
    expect((await client.get("healthz")).status).toBe(200);
  });

  it("expires a session without heartbeats for --session-timeout-sec, and never one that never heartbeated", async () => {
    const short = await startLearner(checkpoint.directory, freshStateDir(checkpoint.root), {
      sessionTimeoutMs: 300,
    });
    try {
      const beating = await short.client.model(BASE_NAME);
      const silent = await short.client.model(BASE_NAME);
      await short.client.post("session_heartbeat", { session_id: beating.sessionId });
      const deadline = Date.now() + 10_000;
      let status = "created";
      while (status !== "unloaded" && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await short.client.post("get_info", { model_id: beating.modelId })).body.status;
      }
      expect(status).toBe("unloaded");
      expect((await short.client.post("get_info", { model_id: silent.modelId })).body.status).toBe("created");
      const late = await short.client.run("forward", {
        model_id: beating.modelId,
        forward_input: { loss_fn: "cross_entropy", data: [tinkerDatum(sequence)] },
      });
      expect(late.status).toBe(400);
      expect(late.body.detail).toContain("expired");
    } finally {
      await short.close();
    }
  });
});
