import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LearnerDatum } from "@hdpo/core";
import { Header } from "tar";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FAKE_BASE_URL, type FakeAnswer, type FakeCall, type FakeRoute, fakeFetch } from "./test-fetch";
import { TinkerLearner, type TinkerLearnerOptions } from "./tinker-learner";
import type { WireDatum } from "./wire-datum";

// The client against a scripted server that answers as the spec says SkyRL does: paths a real server cannot be
// made to take on demand (lost sessions, overlapping POSTs, zero-filled log-probs, hostile redirects). The
// end-to-end tests against hdpo-learner live with the server (apps/learner, tinker-client.e2e.test.ts).

const BASE_MODEL = "Qwen/Qwen3-4B-Instruct-2507";

interface Fake {
  fetch: typeof fetch;
  calls: FakeCall[];
  /** Model POSTs in flight at once, at most (must stay 1). */
  maxInFlight: () => number;
}

/** A scripted SkyRL-like server: every asynchronous POST completes at once with `results[route]`. */
function fakeServer(overrides: Record<string, FakeRoute> = {}, options: { postDelayMs?: number } = {}): Fake {
  const futures = new Map<string, unknown>();
  let next = 0;
  let models = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const future = (result: unknown): FakeAnswer => {
    const id = String(++next);
    futures.set(id, result);
    return { status: 200, body: { future_id: id, status: "pending", request_id: id } };
  };
  const modelPost = (result: (body: Record<string, unknown>) => unknown): FakeRoute => {
    return async (body) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, options.postDelayMs ?? 0));
      inFlight--;
      return future(result(body as Record<string, unknown>));
    };
  };
  const logprobs = (body: Record<string, unknown>, key: string) => {
    const input = body[key] as { data: { loss_fn_inputs: { weights: { data: number[] } } }[] };
    return {
      loss_fn_output_type: "scalar",
      metrics: {},
      loss_fn_outputs: input.data.map((d) => ({
        logprobs: { data: d.loss_fn_inputs.weights.data.map(() => -0.5), dtype: "float32" },
      })),
    };
  };
  const routes: Record<string, FakeRoute> = {
    "GET /api/v1/healthz": () => ({ status: 200, body: { status: "ok" } }),
    "GET /api/v1/get_server_capabilities": () => ({
      status: 200,
      body: { supported_models: [{ model_name: BASE_MODEL }] },
    }),
    "POST /api/v1/create_session": () => ({
      status: 200,
      body: { type: "create_session", session_id: "session_0000aaaa" },
    }),
    "POST /api/v1/session_heartbeat": () => ({ status: 200, body: { type: "session_heartbeat" } }),
    "POST /api/v1/create_model": () => {
      const id = `model_${String(++models).padStart(8, "0")}`;
      const answer = future({ model_id: id, base_model: BASE_MODEL, lora_config: { rank: 0 } }) as {
        body: { request_id: string };
      };
      return { status: 200, body: { model_id: id, status: "created", request_id: answer.body.request_id } };
    },
    "POST /api/v1/forward": modelPost((body) => logprobs(body, "forward_input")),
    "POST /api/v1/forward_backward": modelPost((body) => logprobs(body, "forward_backward_input")),
    "POST /api/v1/optim_step": modelPost(() => ({
      metrics: { "skyrl.ai/grad_norm": 0.37, "skyrl.ai/learning_rate": 1e-3 },
    })),
    "POST /api/v1/save_weights": modelPost((body) => ({
      path: `tinker://${body.model_id}/weights/${body.path}`,
      type: "save_weights",
    })),
    "POST /api/v1/load_weights": modelPost(() => ({ type: "load_weights" })),
    "POST /api/v1/save_weights_for_sampler": modelPost((body) =>
      body.path === undefined
        ? { path: null, type: "save_weights_for_sampler", sampling_session_id: "sampling_0c1d2e3f" }
        : {
            path: `tinker://${body.model_id}/${body.path}`,
            type: "save_weights_for_sampler",
            sampling_session_id: null,
          },
    ),
    "POST /api/v1/asample": (body) =>
      future({
        sequences: [
          {
            stop_reason: "length",
            tokens: [4, 5],
            logprobs: [-0.25, -1.5],
            seed: (body as { sampling_params: { seed: number } }).sampling_params.seed,
          },
        ],
        prompt_logprobs: null,
      }),
    "POST /api/v1/unload_model": (body) => {
      const id = (body as { model_id: string }).model_id;
      const answer = future({ model_id: id, status: "unloaded", type: "unload_model" }) as {
        body: { request_id: string };
      };
      return { status: 200, body: { request_id: answer.body.request_id, model_id: id } };
    },
    "POST /api/v1/retrieve_future": (body) => {
      const id = (body as { request_id: string }).request_id;
      return futures.has(id)
        ? { status: 200, body: futures.get(id) }
        : { status: 404, body: { detail: "Future not found" } };
    },
    ...overrides,
  };
  const fake = fakeFetch(routes);
  return { ...fake, maxInFlight: () => maxInFlight };
}

function connect(fake: Fake, options: Partial<TinkerLearnerOptions> = {}): Promise<TinkerLearner> {
  return TinkerLearner.connect({
    baseUrl: FAKE_BASE_URL,
    baseModel: BASE_MODEL,
    loraRank: 0,
    fetch: fake.fetch,
    heartbeat: false,
    retries: 1,
    retryDelayMs: 1,
    pollDelayMs: 1,
    ...options,
  });
}

const datum: LearnerDatum = {
  modelInput: [{ type: "encoded_text", tokens: [1, 2, 3] }],
  targetTokens: [2, 3, 4],
  weights: [0, 1, 0.5],
};

const adam = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradClipNorm: 1 };

const routesOf = (calls: FakeCall[]) =>
  calls.map((call) => call.path.replace("/api/v1/", "")).filter((route) => route !== "retrieve_future");

afterEach(() => {
  vi.useRealTimers();
});

describe("TinkerLearner.connect", () => {
  it("says in one line that nothing answers at the URL, why, and what to do", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const connecting = TinkerLearner.connect({
      baseUrl: `http://127.0.0.1:${port}`,
      baseModel: BASE_MODEL,
      loraRank: 0,
      retries: 0,
      heartbeat: false,
    });
    await expect(connecting).rejects.toThrow(
      `connect: no Tinker server answers at http://127.0.0.1:${port}/api/v1/healthz (ECONNREFUSED); start one`,
    );
  });

  it("names the models the server serves when the base model is not one of them", async () => {
    const connecting = connect(fakeServer(), { baseModel: "Qwen/Qwen3-8B" });
    await expect(connecting).rejects.toThrow(
      `the Tinker server at ${FAKE_BASE_URL} serves "${BASE_MODEL}", not "Qwen/Qwen3-8B"`,
    );
  });

  it("says when the URL is not a Tinker server", async () => {
    const fake = fakeServer({
      "GET /api/v1/healthz": () => ({ status: 404, body: { detail: "Not Found" } }),
    });
    await expect(connect(fake)).rejects.toThrow(
      "answered HTTP 404 (Not Found), not a Tinker server's healthz",
    );
  });

  it("opens a session, creates the model and waits for it, and reports SkyRL's capabilities", async () => {
    const fake = fakeServer();
    const learner = await connect(fake, { loraRank: 32, loraSeed: 5, tags: ["run-7"] });
    expect(learner.sessionId).toBe("session_0000aaaa");
    expect(learner.modelId).toBe("model_00000001");
    expect(learner.info).toEqual({
      kind: "tinker",
      baseModel: BASE_MODEL,
      protocol: "skyrl@a9564572e",
      capabilities: {
        entropy: false,
        images: false,
        adamParams: "learning-rate",
        fixedGradClipNorm: 1,
        temperatures: [1],
      },
    });
    expect(TinkerLearner.protocolVersion).toBe("skyrl@a9564572e");
    const session = fake.calls.find((call) => call.path.endsWith("create_session"))!;
    expect(session.body).toMatchObject({ tags: ["run-7"], user_metadata: null, type: "create_session" });
    const model = fake.calls.find((call) => call.path.endsWith("create_model"))!;
    expect(model.body).toMatchObject({
      session_id: "session_0000aaaa",
      base_model: BASE_MODEL,
      lora_config: { rank: 32, seed: 5 },
    });
    // The create_model future is waited for before anything else is sent for the model; then one forward on a
    // two-token probe tells a jax backend apart, before connect resolves.
    const routes = fake.calls.map((call) => call.path.replace("/api/v1/", ""));
    expect(routes.slice(routes.indexOf("create_model"))).toEqual([
      "create_model",
      "retrieve_future",
      "forward",
      "retrieve_future",
    ]);
    expect(fake.calls.at(-2)!.body).toMatchObject({
      seq_id: 1,
      forward_input: { loss_fn: "cross_entropy", data: [{ model_input: { chunks: [{ tokens: [0] }] } }] },
    });
  });

  it("refuses SkyRL's jax backend, whose forward answers elementwise_loss, in one line", async () => {
    const fake = fakeServer({
      "POST /api/v1/forward": () => ({
        status: 200,
        body: { future_id: "j", status: "pending", request_id: "j" },
      }),
    });
    const jax = {
      ...fake,
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
        if (String(input).endsWith("retrieve_future") && body?.request_id === "j") {
          const output = {
            elementwise_loss: { data: [0.9], dtype: "float32", shape: [1] },
            logprobs: { data: [-0.9], dtype: "float32", shape: [1] },
          };
          return new Response(
            JSON.stringify({ loss_fn_output_type: "scalar", loss_fn_outputs: [output], metrics: {} }),
            { status: 200 },
          );
        }
        return fake.fetch(input, init);
      }) as typeof fetch,
    };
    await expect(connect(jax)).rejects.toThrow(
      /^connect: the Tinker server runs SkyRL's jax backend .*start the server with --backend fsdp or --backend megatron\.$/,
    );
    // The model it created is freed again.
    expect(fake.calls.at(-1)!.path).toBe("/api/v1/unload_model");
  });
});

describe("TinkerLearner requests", () => {
  it("sends a model's POSTs one at a time with increasing seq_ids, even when called concurrently", async () => {
    const fake = fakeServer({}, { postDelayMs: 20 });
    const learner = await connect(fake);
    const results = await Promise.all([
      learner.forward([datum]),
      learner.forwardBackward([datum]),
      learner.optimStep(adam),
      learner.forward([datum]),
    ]);
    expect(fake.maxInFlight()).toBe(1);
    const sent = fake.calls.filter((call) => /forward|optim_step/.test(call.path));
    // seq_id 1 is connect's probe.
    expect(sent.map((call) => [call.path, (call.body as { seq_id: number }).seq_id])).toEqual([
      ["/api/v1/forward", 1],
      ["/api/v1/forward", 2],
      ["/api/v1/forward_backward", 3],
      ["/api/v1/optim_step", 4],
      ["/api/v1/forward", 5],
    ]);
    expect(results[0]).toEqual({ logProbs: [[-0.5, -0.5, -0.5]] });
    // No total_loss:sum in the metrics: the loss is Σ −w·logp computed here.
    expect(results[1]).toEqual({ logProbs: [[-0.5, -0.5, -0.5]], loss: 0.75 });
    expect(results[2]).toEqual({ gradNorm: 0.37, learningRate: 1e-3 });
    await learner.close();
  });

  it("splits a large batch into requests of at most 128 data, in order, and joins their outputs", async () => {
    const fake = fakeServer();
    const learner = await connect(fake);
    // Each datum's first target tells it apart in the requests.
    const data: LearnerDatum[] = Array.from({ length: 300 }, (_, i) => ({
      modelInput: [{ type: "encoded_text", tokens: [1000 + i, 7] }],
      targetTokens: [7, 8],
      weights: [1, 1],
    }));
    const result = await learner.forwardBackward(data);
    const sent = fake.calls.filter((call) => call.path.endsWith("forward_backward"));
    const bodies = sent.map(
      (call) => call.body as { seq_id: number; forward_backward_input: { data: WireDatum[] } },
    );
    expect(bodies.map((body) => body.forward_backward_input.data.length)).toEqual([128, 128, 44]);
    expect(bodies.map((body) => body.seq_id)).toEqual([2, 3, 4]);
    const firstTokens = bodies.flatMap((body) =>
      body.forward_backward_input.data.map((d) => d.model_input.chunks[0]!.tokens[0]),
    );
    expect(firstTokens).toEqual(data.map((_, i) => 1000 + i));
    expect(fake.maxInFlight()).toBe(1);
    expect(result.logProbs).toHaveLength(300);
    // Σ −w·logp over every part: 300 data × 2 targets × 0.5.
    expect(result.loss).toBeCloseTo(300, 9);
  });

  it("sends cross_entropy with the datum weights at full length, and every Adam field with grad_clip_norm", async () => {
    const fake = fakeServer();
    const learner = await connect(fake);
    await learner.forwardBackward([{ ...datum, weights: undefined }]);
    await learner.optimStep(adam);
    const [fb, step] = fake.calls.filter((call) => /forward_backward|optim_step/.test(call.path));
    expect(fb!.body).toEqual({
      model_id: "model_00000001",
      seq_id: 2,
      forward_backward_input: {
        loss_fn: "cross_entropy",
        loss_fn_config: null,
        data: [
          {
            model_input: { chunks: [{ type: "encoded_text", tokens: [1, 2, 3] }] },
            loss_fn_inputs: {
              target_tokens: { data: [2, 3, 4], dtype: "int64", shape: [3] },
              weights: { data: [1, 1, 1], dtype: "float32", shape: [3] },
            },
          },
        ],
      },
    });
    expect(step!.body).toEqual({
      model_id: "model_00000001",
      seq_id: 3,
      adam_params: {
        learning_rate: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
        grad_clip_norm: 1,
      },
    });
  });

  it("refuses entropy weights, a temperature the server does not serve and bad Adam values before sending", async () => {
    const fake = fakeServer();
    const learner = await connect(fake);
    const before = fake.calls.length;
    await expect(learner.forwardBackward([{ ...datum, entropyWeights: [0, 0.1, 0] }])).rejects.toThrow(
      "non-zero entropyWeights",
    );
    await expect(learner.forward([datum], { temperature: 0.7 })).rejects.toThrow(
      "forward: temperature 0.7 asked, but this Tinker server scores log-probs at temperature 1 only",
    );
    await expect(learner.optimStep({ ...adam, beta1: 1 })).rejects.toThrow(
      "adam beta1 must be a finite number in [0, 1)",
    );
    expect(fake.calls.length).toBe(before);
  });

  it("serves the temperature and Adam fields an hdpo server advertises", async () => {
    const fake = fakeServer({
      "GET /api/v1/get_server_capabilities": () => ({
        status: 200,
        body: {
          supported_models: [{ model_name: BASE_MODEL }],
          hdpo: { adam_params: "all", grad_clip_norm: true, temperature: 0.7 },
        },
      }),
    });
    const learner = await connect(fake);
    expect(learner.info.capabilities).toEqual({
      entropy: false,
      images: false,
      adamParams: "all",
      temperatures: [0.7],
    });
    await expect(learner.forward([datum], { temperature: 0.7 })).resolves.toBeDefined();
    await expect(learner.forward([datum])).rejects.toThrow("temperature 1 asked");
  });

  it("refuses log-probs that do not match the targets", async () => {
    const fake = fakeServer({
      "POST /api/v1/forward": () => ({ status: 200, body: { future_id: "99", request_id: "99" } }),
      "POST /api/v1/retrieve_future": (body) =>
        (body as { request_id: string }).request_id === "99"
          ? { status: 200, body: { loss_fn_outputs: [{ logprobs: { data: [-1, -2] } }], metrics: {} } }
          : { status: 200, body: { model_id: "model_00000001" } },
    });
    const learner = await connect(fake);
    await expect(learner.forward([datum])).rejects.toThrow(
      "forward: datum 0 has 3 targets but the server returned 2 log-probs; the server does not follow the protocol.",
    );
  });

  it("saves a state and loads it into a fresh model that replaces the old one", async () => {
    const fake = fakeServer();
    const learner = await connect(fake, { loraRank: 8 });
    const path = await learner.saveState("step_1");
    expect(path).toBe("tinker://model_00000001/weights/step_1");
    await learner.loadState(path, { weightsOnly: true });
    expect(learner.modelId).toBe("model_00000002");
    expect(routesOf(fake.calls).slice(-4)).toEqual([
      "save_weights",
      "create_model",
      "load_weights",
      "unload_model",
    ]);
    const load = fake.calls.find((call) => call.path.endsWith("load_weights"))!;
    expect(load.body).toMatchObject({ model_id: "model_00000002", path, optimizer: false, seq_id: 1 });
    await expect(learner.saveState("../x")).rejects.toThrow(
      'saveState: the name "../x" must be 1 to 255 letters',
    );
    await expect(learner.loadState("/tmp/state")).rejects.toThrow("is not a training state path");
  });

  it("on SkyRL, checks the state and unloads a full-parameter model before creating the one it loads into", async () => {
    let known = true;
    const fake = fakeServer({
      "POST /api/v1/weights_info": () =>
        known
          ? { status: 200, body: { base_model: BASE_MODEL, is_lora: false, lora_rank: 0 } }
          : { status: 404, body: { detail: "Checkpoint not found" } },
    });
    const learner = await connect(fake, { loraRank: 0 });
    await learner.loadState("tinker://model_00000001/weights/step_1");
    expect(routesOf(fake.calls).slice(-4)).toEqual([
      "weights_info",
      "unload_model",
      "create_model",
      "load_weights",
    ]);
    expect(learner.modelId).toBe("model_00000002");
    known = false;
    await expect(learner.loadState("tinker://model_00000001/weights/gone")).rejects.toThrow(
      "loadState: the server answered HTTP 404 to http://127.0.0.1:9/api/v1/weights_info: Checkpoint not found",
    );
    // Nothing was unloaded: the learner goes on with its model.
    expect(learner.modelId).toBe("model_00000002");
    await expect(learner.forward([datum])).resolves.toBeDefined();
  });

  it("keeps a full-parameter model until the new one is loaded on a server that holds several", async () => {
    const fake = fakeServer({
      "GET /api/v1/get_server_capabilities": () => ({
        status: 200,
        body: {
          supported_models: [{ model_name: BASE_MODEL }],
          hdpo: { adam_params: "all", grad_clip_norm: true, temperature: 1 },
        },
      }),
    });
    const learner = await connect(fake, { loraRank: 0 });
    await learner.loadState("tinker://model_00000001/weights/step_1");
    expect(routesOf(fake.calls).slice(-3)).toEqual(["create_model", "load_weights", "unload_model"]);
  });
});

describe("TinkerLearner sampler", () => {
  it("pushes ephemeral sampler weights, waits for them, then samples with the session id", async () => {
    const fake = fakeServer();
    const learner = await connect(fake);
    const sampler = await learner.samplerForCurrentWeights();
    const save = fake.calls.find((call) => call.path.endsWith("save_weights_for_sampler"))!;
    expect(save.body).toEqual({
      model_id: "model_00000001",
      sampling_session_seq_id: 0,
      seq_id: 2,
      type: "save_weights_for_sampler",
    });
    // The save's future was retrieved before the sampler was handed out (sampling earlier is a 425).
    expect(fake.calls.at(-1)!.path).toBe("/api/v1/retrieve_future");
    const sequence = await sampler.sample({
      prompt: [{ type: "encoded_text", tokens: [1, 2] }],
      maxTokens: 2,
      temperature: 1,
      topP: 0.9,
      seed: 11,
      stop: [9],
    });
    expect(sequence).toEqual({ tokens: [4, 5], logProbs: [-0.25, -1.5], stopReason: "length" });
    const asample = fake.calls.find((call) => call.path.endsWith("asample"))!;
    expect(asample.body).toMatchObject({
      sampling_session_id: "sampling_0c1d2e3f",
      seq_id: 0,
      num_samples: 1,
      prompt: { chunks: [{ type: "encoded_text", tokens: [1, 2] }] },
      sampling_params: { max_tokens: 2, temperature: 1, top_p: 0.9, top_k: -1, seed: 11, stop: [9] },
    });
  });

  it("sends one routing key (seq_id) for all turns of a conversation, a fresh one per other conversation", async () => {
    const fake = fakeServer();
    const learner = await connect(fake);
    const sampler = await learner.samplerForCurrentWeights();
    const turn = (affinityKey?: string) =>
      sampler.sample({
        prompt: [{ type: "encoded_text", tokens: [1, 2] }],
        maxTokens: 2,
        temperature: 1,
        topP: 1,
        seed: 3,
        ...(affinityKey === undefined ? {} : { affinityKey }),
      });
    for (const key of ["traj-a", "traj-b", "traj-a", undefined, "traj-b", undefined]) await turn(key);
    const seqIds = fake.calls
      .filter((call) => call.path.endsWith("asample"))
      .map((call) => (call.body as { seq_id: number }).seq_id);
    expect(seqIds).toEqual([0, 1, 0, 2, 1, 3]);
  });

  it("refuses zero-filled log-probs and more tokens than asked", async () => {
    const answers: unknown[] = [
      { sequences: [{ stop_reason: "stop", tokens: [4, 5], logprobs: [0, 0] }] },
      { sequences: [{ stop_reason: "length", tokens: [4, 5, 6], logprobs: [-1, -1, -1] }] },
    ];
    let asked = 0;
    const fake = fakeServer({
      "POST /api/v1/asample": () => ({ status: 200, body: { request_id: `s${asked}` } }),
    });
    const learner = await connect({
      ...fake,
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
        if (String(input).endsWith("retrieve_future") && String(body?.request_id).startsWith("s")) {
          return new Response(JSON.stringify(answers[asked++]), { status: 200 });
        }
        return fake.fetch(input, init);
      }) as typeof fetch,
    });
    const sampler = await learner.samplerForCurrentWeights();
    const request = {
      prompt: [{ type: "encoded_text" as const, tokens: [1] }],
      maxTokens: 2,
      temperature: 1,
      topP: 1,
      seed: 0,
    };
    await expect(sampler.sample(request)).rejects.toThrow("sample: every log-prob the server returned is 0");
    asked = 0;
    // Greedy: the point mass's log-prob is 0, an answer rather than zero-filling.
    await expect(sampler.sample({ ...request, temperature: 0 })).resolves.toMatchObject({ logProbs: [0, 0] });
    await expect(sampler.sample(request)).rejects.toThrow(
      "the server returned 3 tokens with 3 log-probs for max_tokens 2",
    );
    await expect(sampler.sample({ ...request, stop: ["a", 3] as unknown as string[] })).rejects.toThrow(
      "stop must be all strings",
    );
  });
});

describe("TinkerLearner.exportWeights", () => {
  it("follows the archive's redirect, keeps the API key on its own origin and unpacks the tar", async () => {
    const header = new Header({
      path: "config.json",
      type: "File",
      size: 2,
      mode: 0o644,
      mtime: new Date(0),
    });
    header.encode();
    const tarBytes = Buffer.concat([header.block!, Buffer.from("{}"), Buffer.alloc(510), Buffer.alloc(1024)]);
    const fake = fakeServer();
    const calls: { url: string; headers: Record<string, string> }[] = [];
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      if (url.pathname.endsWith("/archive")) {
        calls.push({ url: url.href, headers: { ...(init?.headers as Record<string, string>) } });
        return new Response(null, {
          status: 302,
          headers: { location: "http://127.0.0.2:9/signed/archive.tar" },
        });
      }
      if (url.pathname === "/signed/archive.tar") {
        calls.push({ url: url.href, headers: { ...(init?.headers as Record<string, string>) } });
        return new Response(tarBytes, { status: 200 });
      }
      return fake.fetch(input, init);
    }) as typeof fetch;
    const learner = await connect({ ...fake, fetch: fetchFn }, { apiKey: "tml-secret" });
    const directory = mkdtempSync(join(tmpdir(), "hdpo-export-"));
    try {
      await learner.exportWeights(join(directory, "final"));
      expect(readFileSync(join(directory, "final", "config.json"), "utf8")).toBe("{}");
      const save = fake.calls.find((call) => call.path.endsWith("save_weights_for_sampler"))!;
      const name = (save.body as { path: string }).path;
      expect(calls[0]!.url).toBe(
        `${FAKE_BASE_URL}/api/v1/training_runs/model_00000001/checkpoints/${name}/archive`,
      );
      expect(calls[0]!.headers["X-API-Key"]).toBe("tml-secret");
      expect(calls[1]!.url).toBe("http://127.0.0.2:9/signed/archive.tar");
      expect(calls[1]!.headers["X-API-Key"]).toBeUndefined();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("TinkerLearner.exportWeights failures", () => {
  it.each([
    [
      { status: 404, body: { detail: "Checkpoint not found" } },
      /^exportWeights: downloading the weights archive from .*\/archive answered HTTP 404: Checkpoint not found$/,
    ],
    [
      { status: 302, location: "file:///etc/passwd" },
      'redirected to "file:///etc/passwd", not an http(s) URL',
    ],
  ])("reports %j in one line and writes nothing", async (answer, message) => {
    const fake = fakeServer();
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      if (new URL(String(input)).pathname.endsWith("/archive")) {
        const { status, body, location } = answer as { status: number; body?: unknown; location?: string };
        return new Response(body === undefined ? null : JSON.stringify(body), {
          status,
          headers: location === undefined ? {} : { location },
        });
      }
      return fake.fetch(input, init);
    }) as typeof fetch;
    const learner = await connect({ ...fake, fetch: fetchFn });
    const directory = mkdtempSync(join(tmpdir(), "hdpo-export-"));
    try {
      await expect(learner.exportWeights(join(directory, "final"))).rejects.toThrow(message);
      expect(existsSync(join(directory, "final"))).toBe(false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("TinkerLearner heartbeat and close", () => {
  it("heartbeats every 10 s on an unref'd timer and stops at close, which unloads the model", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const fake = fakeServer();
    const learner = await connect(fake, { heartbeat: true });
    const timer = (learner as unknown as { heartbeatTimer: NodeJS.Timeout }).heartbeatTimer;
    expect(timer.hasRef()).toBe(false);
    const beats = () => fake.calls.filter((call) => call.path.endsWith("session_heartbeat")).length;
    expect(beats()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(beats()).toBe(1);
    expect(fake.calls.find((call) => call.path.endsWith("session_heartbeat"))!.body).toEqual({
      session_id: "session_0000aaaa",
      type: "session_heartbeat",
    });
    await learner.close();
    expect(routesOf(fake.calls).at(-1)).toBe("unload_model");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(beats()).toBe(1);
    await expect(learner.forward([datum])).rejects.toThrow("forward: the learner is closed");
  });

  it("reports a session the server lost (heartbeat 404) at the next call", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const fake = fakeServer({
      "POST /api/v1/session_heartbeat": () => ({ status: 404, body: { detail: "Session not found" } }),
    });
    const learner = await connect(fake, { heartbeat: true });
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(learner.forward([datum])).rejects.toThrow(
      "forward: the server no longer knows session session_0000aaaa (heartbeat answered 404: Session not found)",
    );
    await learner.close();
  });
});
