import type { LearnerDatum, LearnerSampleRequest } from "@hdpo/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LearnerError } from "../learner-error";
import { TinkerHttp } from "./http";
import { bodyProblems, headerProblems } from "./test-spec-requests";
import {
  type Fault,
  type RecordedRequest,
  SpecServer,
  type SpecServerOptions,
  specLogProb,
  specSample,
} from "./test-spec-server";
import { TinkerLearner, type TinkerLearnerOptions } from "./tinker-learner";
import { TinkerSampler } from "./tinker-sampler";

// The client against the protocol as the spec writes it, over real HTTP on 127.0.0.1: a server that checks every
// request field by field against the spec's request tables (test-spec-requests.ts, written from the spec alone, not
// from hdpo-learner's schemas) and answers the spec's documented shapes (test-spec-server.ts). Unit-level paths on a
// scripted fetch (each error line's exact wording, splitting, heartbeats, export) are in tinker-learner.test.ts,
// futures.test.ts and http.test.ts; the end-to-end runs against hdpo-learner are in apps/learner.

const BASE_MODEL = "Qwen/Qwen3-4B-Instruct-2507";
const servers: SpecServer[] = [];
const learners: TinkerLearner[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const learner of learners.splice(0)) await learner.close();
  for (const server of servers.splice(0)) await server.close();
});

async function serve(options: Partial<SpecServerOptions> = {}): Promise<SpecServer> {
  const server = await SpecServer.start({ baseModel: BASE_MODEL, ...options });
  servers.push(server);
  return server;
}

async function connect(
  server: SpecServer,
  options: Partial<TinkerLearnerOptions> = {},
): Promise<TinkerLearner> {
  const learner = await TinkerLearner.connect({
    baseUrl: server.url,
    baseModel: BASE_MODEL,
    loraRank: 8,
    apiKey: "tml-contract",
    heartbeat: false,
    retries: 2,
    retryDelayMs: 5,
    pollDelayMs: 2,
    requestTimeoutMs: 5_000,
    ...options,
  });
  learners.push(learner);
  return learner;
}

/** A datum of one whole sequence: the input without its last token, the targets without the first. */
function datum(sequence: number[], weights: number[]): LearnerDatum {
  return {
    modelInput: [{ type: "encoded_text", tokens: sequence.slice(0, -1) }],
    targetTokens: sequence.slice(1),
    weights,
  };
}

/** The log-probs the spec server assigns to a sequence's targets. */
const logProbsOf = (sequence: number[]) => sequence.slice(1).map((token, t) => specLogProb(token, t));

const SEQ_A = [11, 12, 13, 14, 15];
const SEQ_B = [21, 22, 23];
const DATA = [datum(SEQ_A, [0, 0, 1, 1]), datum(SEQ_B, [0.5, -0.25])];
/** Σ −w·ℓ over DATA, which the server reports as total_loss:sum. */
const LOSS = [SEQ_A, SEQ_B].reduce(
  (sum, sequence, i) => sum + logProbsOf(sequence).reduce((s, l, t) => s - DATA[i]!.weights![t]! * l, 0),
  0,
);
const ADAM = { learningRate: 2e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradClipNorm: 1 };

function request(tokens: number[], overrides: Partial<LearnerSampleRequest> = {}): LearnerSampleRequest {
  return {
    prompt: [{ type: "encoded_text", tokens }],
    maxTokens: 3,
    temperature: 1,
    topP: 1,
    seed: 5,
    ...overrides,
  };
}

const posts = (server: SpecServer, path: string) =>
  server.requests.filter((r) => r.method === "POST" && r.path === `/api/v1/${path}`);
const seqIds = (records: RecordedRequest[]) => records.map((r) => (r.body as { seq_id: number }).seq_id);

/** The error a promise rejects with, checked to be one LearnerError line. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LearnerError);
  const message = (error as Error).message;
  expect(message).not.toContain("\n");
  return message;
}

describe("the spec's request checks (positive control: they pass the spec's examples and catch what breaks them)", () => {
  // The request examples of §2.4–§2.18, verbatim.
  const examples: [string, unknown][] = [
    [
      "create_session",
      {
        tags: ["hdpo"],
        user_metadata: { run: "exp-7" },
        sdk_version: "ts-client/0.1.0",
        type: "create_session",
      },
    ],
    ["session_heartbeat", { session_id: "session_3f9a1c2e", type: "session_heartbeat" }],
    [
      "create_model",
      {
        session_id: "session_3f9a1c2e",
        base_model: "Qwen/Qwen3-4B-Instruct-2507",
        lora_config: { rank: 32, seed: 0 },
        model_role: "policy",
      },
    ],
    ["get_info", { model_id: "model_5b7c0d11", type: "get_info" }],
    [
      "forward",
      {
        model_id: "model_5b7c0d11",
        seq_id: 2,
        forward_input: {
          loss_fn: "cross_entropy",
          loss_fn_config: null,
          data: [
            {
              model_input: { chunks: [{ type: "encoded_text", tokens: [9707, 11, 1879, 0, 358] }] },
              loss_fn_inputs: {
                target_tokens: { data: [11, 1879, 0, 358, 1079] },
                weights: { data: [0, 0, 1, 1, 1] },
              },
            },
          ],
        },
      },
    ],
    [
      "forward_backward",
      {
        model_id: "model_5b7c0d11",
        seq_id: 3,
        forward_backward_input: {
          loss_fn: "ppo",
          loss_fn_config: { clip_low_threshold: 0.8, clip_high_threshold: 1.2 },
          data: [
            {
              model_input: { chunks: [{ type: "encoded_text", tokens: [9707, 11, 1879, 0, 358] }] },
              loss_fn_inputs: {
                target_tokens: { data: [11, 1879, 0, 358, 1079] },
                weights: { data: [0, 0, 1, 1, 1] },
                logprobs: { data: [0, 0, -0.43, -1.7, -0.06] },
                advantages: { data: [0, 0, 0.0021, 0.0021, 0.0021] },
              },
            },
          ],
        },
      },
    ],
    [
      "optim_step",
      {
        model_id: "model_5b7c0d11",
        seq_id: 4,
        adam_params: { learning_rate: 1e-6, beta1: 0.9, beta2: 0.95, eps: 1e-12, weight_decay: 0.0 },
      },
    ],
    ["retrieve_future", { request_id: "1" }],
    ["save_weights", { model_id: "model_5b7c0d11", path: "step_000100", type: "save_weights" }],
    [
      "save_weights_for_sampler",
      { model_id: "model_5b7c0d11", sampling_session_seq_id: 0, seq_id: 5, type: "save_weights_for_sampler" },
    ],
    [
      "load_weights",
      {
        model_id: "model_77aa0b12",
        path: "tinker://model_5b7c0d11/weights/step_000100",
        optimizer: true,
        seq_id: 1,
      },
    ],
    [
      "create_sampling_session",
      {
        session_id: "session_3f9a1c2e",
        sampling_session_seq_id: 1,
        model_path: "tinker://model_5b7c0d11/sampler_weights/sampler_000100",
        type: "create_sampling_session",
      },
    ],
    [
      "asample",
      {
        sampling_session_id: "sampling_0c1d2e3f",
        seq_id: 0,
        num_samples: 4,
        prompt: {
          chunks: [{ type: "encoded_text", tokens: [151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30] }],
        },
        sampling_params: {
          max_tokens: 1024,
          temperature: 1.0,
          top_p: 1.0,
          top_k: -1,
          seed: 1234,
          stop: ["</answer>"],
        },
        prompt_logprobs: false,
        topk_prompt_logprobs: 0,
        type: "sample",
      },
    ],
    ["unload_model", { model_id: "model_5b7c0d11", type: "unload_model" }],
  ];

  it.each(examples)("the spec's %s example passes", (route, body) => {
    expect(bodyProblems("POST", `/api/v1/${route}`, body)).toEqual([]);
  });

  const forward = examples.find(([route]) => route === "forward")![1] as Record<string, unknown>;
  const datumOf = (body: Record<string, unknown>) =>
    (body.forward_input as { data: Record<string, Record<string, unknown>>[] }).data[0]!;
  const mutated = (change: (body: Record<string, unknown>) => void): Record<string, unknown> => {
    const body = structuredClone(forward);
    change(body);
    return body;
  };
  const bodyOf = (route: string) =>
    structuredClone(examples.find(([name]) => name === route)![1]) as Record<string, unknown>;

  it.each([
    ["forward without seq_id", "forward", mutated((b) => delete b.seq_id), "seq_id: required field missing"],
    [
      "a seq_id as a string",
      "forward",
      mutated((b) => (b.seq_id = "2")),
      'seq_id: expected an integer, got "2"',
    ],
    [
      "a fractional token id",
      "forward",
      mutated((b) => ((datumOf(b).model_input!.chunks as { tokens: number[] }[])[0]!.tokens[1] = 11.5)),
      "forward_input.data[0].model_input.chunks[0].tokens[1]: expected a token id",
    ],
    [
      "weights shorter than the targets",
      "forward",
      mutated((b) => ((datumOf(b).loss_fn_inputs!.weights as { data: number[] }).data = [1, 1, 1, 1])),
      "forward_input.data[0].loss_fn_inputs.weights.data: 4 entries for 5 targets",
    ],
    [
      "targets that are not the input shifted by one",
      "forward",
      mutated((b) => ((datumOf(b).loss_fn_inputs!.target_tokens as { data: number[] }).data[1] = 7)),
      "forward_input.data[0].loss_fn_inputs.target_tokens.data[1]: 7 is not input token 2",
    ],
    [
      "no target_tokens",
      "forward",
      mutated((b) => delete datumOf(b).loss_fn_inputs!.target_tokens),
      "forward_input.data[0].loss_fn_inputs.target_tokens: required field missing",
    ],
    [
      "a misspelt loss_fn_inputs key",
      "forward",
      mutated((b) => (datumOf(b).loss_fn_inputs!.weight = { data: [1] })),
      "forward_input.data[0].loss_fn_inputs.weight: not a field",
    ],
    [
      "an unknown loss",
      "forward",
      mutated((b) => ((b.forward_input as Record<string, unknown>).loss_fn = "mse")),
      "forward_input.loss_fn: expected one of cross_entropy",
    ],
    [
      "a config key cross_entropy does not take",
      "forward",
      mutated(
        (b) => ((b.forward_input as Record<string, unknown>).loss_fn_config = { clip_low_threshold: 0.8 }),
      ),
      "forward_input.loss_fn_config.clip_low_threshold: not accepted by cross_entropy",
    ],
    [
      "camelCase Adam fields",
      "optim_step",
      (() => {
        const body = bodyOf("optim_step");
        body.adam_params = { learningRate: 1e-6, beta1: 0.9, beta2: 0.95, eps: 1e-12, weight_decay: 0 };
        return body;
      })(),
      "adam_params.learning_rate: required field missing",
    ],
    [
      "beta2 of 1",
      "optim_step",
      (() => {
        const body = bodyOf("optim_step");
        (body.adam_params as Record<string, number>).beta2 = 1;
        return body;
      })(),
      "adam_params.beta2: 1 is not in [0, 1)",
    ],
    [
      "a LoRA config without rank",
      "create_model",
      (() => {
        const body = bodyOf("create_model");
        body.lora_config = { seed: 0 };
        return body;
      })(),
      "lora_config.rank: required field missing",
    ],
    [
      "a sample without max_tokens",
      "asample",
      (() => {
        const body = bodyOf("asample");
        delete (body.sampling_params as Record<string, unknown>).max_tokens;
        return body;
      })(),
      "sampling_params.max_tokens: required field missing",
    ],
    [
      "a sampling session without seq_id",
      "asample",
      (() => {
        const body = bodyOf("asample");
        delete body.seq_id;
        return body;
      })(),
      "seq_id: required with sampling_session_id",
    ],
    [
      "mixed stop entries",
      "asample",
      (() => {
        const body = bodyOf("asample");
        (body.sampling_params as Record<string, unknown>).stop = ["</answer>", 7];
        return body;
      })(),
      "sampling_params.stop: mixes token ids and strings",
    ],
    [
      "a future id as a number",
      "retrieve_future",
      { request_id: 6 },
      "request_id: expected a decimal integer",
    ],
    [
      "a checkpoint name with a slash",
      "save_weights",
      { model_id: "model_5b7c0d11", path: "../step", type: "save_weights" },
      'path: "../step" is not a checkpoint name',
    ],
    [
      "a sampler save with neither path nor both sequence numbers",
      "save_weights_for_sampler",
      { model_id: "model_5b7c0d11", seq_id: 5 },
      "either path, or both sampling_session_seq_id and seq_id",
    ],
  ])("catches %s", (_, route, body, problem) => {
    const problems = bodyProblems("POST", `/api/v1/${route}`, body);
    expect(
      problems.some((line) => line.includes(problem)),
      problems.join(" | "),
    ).toBe(true);
  });

  it("checks the headers: an API key, JSON declared, never an Accept asking for protobuf", () => {
    expect(
      headerProblems("POST", {
        "x-api-key": "k",
        accept: "application/json",
        "content-type": "application/json",
      }),
    ).toEqual([]);
    expect(
      headerProblems("POST", {
        accept: "application/x-protobuf, application/json",
        "content-type": "text/plain",
      }),
    ).toEqual([
      "X-API-Key: header missing or empty",
      "Accept: asks for protobuf (application/x-protobuf, application/json)",
      'Content-Type: "text/plain" is not application/json',
    ]);
  });

  it("sees POSTs for one model that overlap, and a POST sent before the model was ready", async () => {
    const server = await serve({ modelPostDelayMs: 30 });
    const post = async (route: string, body: unknown) => {
      const response = await fetch(`${server.url}/api/v1/${route}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "k" },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, string>;
    };
    const session = await post("create_session", { tags: [], sdk_version: "raw" });
    const model = await post("create_model", {
      session_id: session.session_id,
      base_model: BASE_MODEL,
      lora_config: { rank: 1 },
    });
    const pass = (seq: number) => {
      const body = structuredClone(forward);
      body.model_id = model.model_id;
      body.seq_id = seq;
      return post("forward", body);
    };
    await pass(1);
    expect(server.problems()).toEqual([
      expect.stringContaining(`sent for ${model.model_id} before its create_model future was retrieved`),
    ]);
    await post("retrieve_future", { request_id: model.request_id });
    await pass(2);
    expect(server.overlaps()).toEqual([]);
    await Promise.all([pass(3), pass(4)]);
    expect(server.overlaps()).toEqual([
      expect.stringMatching(/forward arrived before #\d+ \/api\/v1\/forward was answered$/),
    ]);
  });
});

describe("a training loop against the spec-shaped server", () => {
  it.each([8, 0])(
    "LoRA rank %i: every request follows the spec, a model's POSTs go one at a time, the results are the server's",
    async (rank) => {
      // Work takes a while and forward_backward's future answers 408 twice, so the pending path is taken on the way.
      const server = await serve({
        pendingPolls: (route) => (route === "forward_backward" ? 2 : 0),
        modelPostDelayMs: 10,
        holdMs: 5,
        workMs: (route) => (route === "forward_backward" ? 30 : 8),
      });
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
      const learner = await connect(server, { loraRank: rank, loraSeed: 3, heartbeat: true });
      const first = learner.modelId!;
      await vi.advanceTimersByTimeAsync(10_000);
      for (let i = 0; i < 500 && posts(server, "session_heartbeat").length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(posts(server, "session_heartbeat")).toHaveLength(1);

      // Called together: the client must still send them one at a time, in call order.
      const [forward, backward, step] = await Promise.all([
        learner.forward(DATA),
        learner.forwardBackward(DATA),
        learner.optimStep(ADAM),
      ]);
      expect(forward.logProbs).toEqual([logProbsOf(SEQ_A), logProbsOf(SEQ_B)]);
      expect(backward.logProbs).toEqual(forward.logProbs);
      expect(backward.loss).toBeCloseTo(LOSS, 12);
      // This server's grad norm is √Σw² of what forward_backward accumulated: the probe and forward added nothing.
      expect(step).toEqual({ gradNorm: Math.sqrt(2 + 0.25 + 0.0625), learningRate: ADAM.learningRate });

      const sampler = await learner.samplerForCurrentWeights();
      const turn1 = await sampler.sample(request([1, 2, 3], { affinityKey: "traj-1" }));
      const expected = specSample(3, 3, 5);
      expect(turn1).toEqual({ tokens: expected.tokens, logProbs: expected.logprobs, stopReason: "length" });
      // The conversation goes on from its exact ids: the same routing key; another conversation, another one.
      await sampler.sample(request([1, 2, 3, ...turn1.tokens, 9, 9], { affinityKey: "traj-1" }));
      await sampler.sample(request([4, 5], { affinityKey: "traj-2" }));
      await sampler.sample(request([4, 5]));
      const keys = posts(server, "asample").map((r) => r.routingKey);
      expect(keys[0]).toBe(keys[1]);
      expect(new Set(keys).size).toBe(3);

      const path = await learner.saveState("step_1");
      expect(path).toBe(`tinker://${first}/weights/step_1`);
      // On one variant the optimizer state stays behind (load_weights' optimizer: false).
      await learner.loadState(path, { weightsOnly: rank === 0 });
      expect(posts(server, "load_weights")[0]!.body).toMatchObject({ path, optimizer: rank !== 0 });
      const second = learner.modelId!;
      expect(second).not.toBe(first);
      expect((await learner.forward(DATA)).logProbs).toEqual(forward.logProbs);
      await learner.close();

      expect(server.problems()).toEqual([]);
      expect(server.overlaps()).toEqual([]);
      expect(new Set(server.requests.map((r) => r.headers["x-api-key"]))).toEqual(new Set(["tml-contract"]));
      const restore =
        rank === 0
          ? // SkyRL holds one full-parameter model: the state is checked, the old model freed, then the new one made.
            ["weights_info", "unload_model", "create_model", "load_weights", "forward", "unload_model"]
          : ["create_model", "load_weights", "unload_model", "forward", "unload_model"];
      expect(server.routes().filter((route) => route !== "session_heartbeat")).toEqual([
        "create_session",
        "create_model",
        "forward", // connect's backend probe
        "forward",
        "forward_backward",
        "optim_step",
        "save_weights_for_sampler",
        "asample",
        "asample",
        "asample",
        "asample",
        "save_weights",
        ...restore,
      ]);
      // One seq_id counter per model across request types, from 1.
      const byModel = (model: string) =>
        seqIds(
          server.requests.filter(
            (r) => r.modelId === model && (r.body as { seq_id?: number }).seq_id !== undefined,
          ),
        );
      expect(byModel(first)).toEqual([1, 2, 3, 4, 5]);
      expect(byModel(second)).toEqual([1, 2]);
      // Futures were seen pending on the way, and polled again.
      expect(server.requests.some((r) => r.path === "/api/v1/retrieve_future" && r.status === 408)).toBe(
        true,
      );
    },
  );
});

describe("connect's backend check (HDPO's custom-loss route needs summed losses)", () => {
  it("accepts an fsdp/megatron server, whose forward answers log-probs only, after one probe", async () => {
    const server = await serve();
    await connect(server);
    const probe = posts(server, "forward");
    expect(probe).toHaveLength(1);
    expect((probe[0]!.body as { forward_input: { data: unknown[] } }).forward_input.data).toHaveLength(1);
    expect(server.problems()).toEqual([]);
  });

  it("refuses SkyRL's jax backend, whose forward answers elementwise_loss, in one line, and frees the model", async () => {
    const server = await serve({ backend: "jax" });
    const message = await failure(connect(server));
    expect(message).toBe(
      "connect: the Tinker server runs SkyRL's jax backend (its forward answers elementwise_loss), which divides " +
        "each sequence's loss by the sum of its weights; HDPO's custom-loss route needs summed losses: start the " +
        "server with --backend fsdp or --backend megatron.",
    );
    expect(server.routes()).toEqual(["create_session", "create_model", "forward", "unload_model"]);
    expect(server.problems()).toEqual([]);
  });

  it("trusts a server that advertises the hdpo extension (hdpo-learner), without a probe", async () => {
    const server = await serve({ backend: "jax", hdpoExtension: true });
    await connect(server);
    expect(server.routes()).toEqual(["create_session", "create_model"]);
  });
});

describe("futures", () => {
  it("gives up on a future that stays pending (408 after 408) at futureTimeoutMs, in one line", async () => {
    let stuck = false;
    const server = await serve({ holdMs: 10, workMs: () => (stuck ? Number.POSITIVE_INFINITY : 0) });
    const learner = await connect(server, { futureTimeoutMs: 300 });
    stuck = true;
    const message = await failure(learner.forwardBackward(DATA));
    const id = (server.requests.at(-1)!.body as { request_id: string }).request_id;
    expect(message).toBe(
      `forwardBackward: future ${id} is still pending after 300 ms; the server may be overloaded or stuck; raise ` +
        "futureTimeoutMs or check the server.",
    );
    const polls = server.requests.filter((r) => (r.body as { request_id?: string })?.request_id === id);
    expect(polls.length).toBeGreaterThan(2);
    expect(polls.every((r) => r.status === 408 || r.status === undefined)).toBe(true);
  });

  it("treats hosted Tinker's 200 try_again body as pending", async () => {
    const server = await serve({
      pendingAnswer: "try_again",
      pendingPolls: (route) => (route === "forward" ? 3 : 0),
    });
    const learner = await connect(server);
    const result = await learner.forward(DATA);
    expect(result.logProbs).toEqual([logProbsOf(SEQ_A), logProbsOf(SEQ_B)]);
    const id = (server.requests.at(-1)!.body as { request_id: string }).request_id;
    const polls = server.requests.filter((r) => (r.body as { request_id?: string })?.request_id === id);
    // Three 200 try_again bodies, then the result.
    expect(polls.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(server.problems()).toEqual([]);
  });

  it("reports the server's detail of a failed future (400)", async () => {
    const server = await serve({
      failWork: (route) => (route === "forward_backward" ? "Model model_00000002 not loaded" : undefined),
    });
    const learner = await connect(server);
    const message = await failure(learner.forwardBackward(DATA));
    expect(message).toMatch(
      /^forwardBackward: the server failed the work \(future \d+\): Model model_00000002 not loaded$/,
    );
  });

  it("says to reconnect when the server restarted without its database (retrieve_future: 404 Future not found)", async () => {
    let restarted = false;
    const server = await serve({
      fault: (r) => {
        if (r.path !== "/api/v1/forward_backward" || restarted) return undefined;
        restarted = true;
        return "restart-after-answer";
      },
    });
    const learner = await connect(server, { retries: 5, retryDelayMs: 10 });
    const message = await failure(learner.forwardBackward(DATA));
    expect(message).toMatch(
      /^forwardBackward: the server does not know future \d+ \(Future not found\);.*reconnect\.$/,
    );
  });
});

describe("answers", () => {
  async function run(server: SpecServer) {
    const learner = await connect(server);
    const forward = await learner.forward(DATA);
    const backward = await learner.forwardBackward(DATA);
    const step = await learner.optimStep(ADAM);
    const sample = await (await learner.samplerForCurrentWeights()).sample(request([1, 2, 3]));
    const path = await learner.saveState("s");
    await learner.loadState(path);
    return { forward, backward, step, sample, path: path.replace(/model_\w+/, "M") };
  }

  it("accepts answers with fields the spec does not know (a newer server), with the same results", async () => {
    const newer = await serve({ unknownFields: true });
    const plain = await serve();
    const results = await run(newer);
    expect(results).toEqual(await run(plain));
    expect(newer.problems()).toEqual([]);
  });

  const drop =
    (route: string, kind: "answer" | "result", field: string) =>
    (r: string, k: "answer" | "result", body: Record<string, unknown>) => {
      if (r !== route || k !== kind) return body;
      const { [field]: _, ...rest } = body;
      return rest;
    };

  it.each([
    ["create_session without session_id", "create_session", "answer", "session_id", "session_id"],
    ["create_model without model_id", "create_model", "answer", "model_id", "model_id"],
    ["a forward result without loss_fn_outputs", "forward", "result", "loss_fn_outputs", "loss_fn_outputs"],
  ] as const)("refuses %s in one line naming the field", async (_, route, kind, field, named) => {
    const server = await serve({ rewrite: drop(route, kind, field) });
    const message = await failure(connect(server));
    expect(message).toContain("does not follow the Tinker protocol (");
    expect(message).toContain(`(${named}: `);
  });

  it("refuses a sample result whose sequence lacks its log-probs, naming the field", async () => {
    const server = await serve({
      rewrite: (route, kind, body) =>
        route === "asample" && kind === "result"
          ? {
              ...body,
              sequences: (body.sequences as Record<string, unknown>[]).map(
                ({ logprobs: _, ...rest }) => rest,
              ),
            }
          : body,
    });
    const learner = await connect(server);
    const sampler = await learner.samplerForCurrentWeights();
    const message = await failure(sampler.sample(request([1, 2])));
    expect(message).toContain("(sequences.0.logprobs: ");
  });
});

describe("retries", () => {
  /** A fault for the first request to `path` only. */
  const once = (path: string, fault: Fault) => {
    let done = false;
    return (r: RecordedRequest): Fault | undefined => {
      if (r.path !== `/api/v1/${path}` || done) return undefined;
      done = true;
      return fault;
    };
  };

  it.each([
    ["a lost answer (the work was done)", "drop-after-work"],
    ["a 503 (no work done)", { status: 503, body: { detail: "Service Unavailable" } }],
    ["a request timeout", "hang"],
  ] as [string, Fault][])(
    "resends forward_backward after %s with the same seq_id and body; the server does the work once",
    async (_, fault) => {
      const server = await serve({ fault: once("forward_backward", fault) });
      const learner = await connect(server, { requestTimeoutMs: 300, retryDelayMs: 20 });
      const result = await learner.forwardBackward(DATA);
      expect(result.loss).toBeCloseTo(LOSS, 12);
      const sent = posts(server, "forward_backward");
      expect(sent).toHaveLength(2);
      expect(sent[1]!.raw).toBe(sent[0]!.raw);
      expect(seqIds(sent)).toEqual([2, 2]);
      expect(server.work.get("forward_backward")).toBe(1);
      // The gradient was accumulated once.
      expect((await learner.optimStep(ADAM)).gradNorm).toBeCloseTo(Math.sqrt(2.3125), 12);
      expect(server.problems()).toEqual([]);
      expect(server.overlaps()).toEqual([]);
    },
  );

  it("reports a request that times out on every try in one line", async () => {
    const server = await serve({ fault: (r) => (r.path === "/api/v1/optim_step" ? "hang" : undefined) });
    const learner = await connect(server, { requestTimeoutMs: 100, retries: 1 });
    const message = await failure(learner.optimStep(ADAM));
    expect(message).toBe(
      `optimStep: the Tinker server at ${server.url}/api/v1/optim_step did not answer after 2 tries (no answer within ` +
        "100 ms); check that it runs and that baseUrl is right, or raise requestTimeoutMs/retries.",
    );
    expect(posts(server, "optim_step")).toHaveLength(2);
  });

  it.each([
    ["a lost answer", "drop-after-work"],
    ["a 503", { status: 503, body: { detail: "Service Unavailable" } }],
  ] as [string, Fault][])("never resends create_model after %s", async (_, fault) => {
    const server = await serve({ fault: once("create_model", fault) });
    await failure(connect(server));
    expect(posts(server, "create_model")).toHaveLength(1);
  });

  it.each([
    ["save_weights", "a lost answer", "drop-after-work"],
    ["save_weights", "a 503", { status: 503, body: { detail: "Service Unavailable" } }],
    ["save_weights_for_sampler", "a lost answer", "drop-after-work"],
  ] as [string, string, Fault][])("never resends %s after %s", async (route, _, fault) => {
    const server = await serve({ fault: once(route, fault) });
    const learner = await connect(server);
    const message = await failure(
      route === "save_weights" ? learner.saveState("s") : learner.samplerForCurrentWeights(),
    );
    expect(message).toMatch(
      fault === "drop-after-work"
        ? /did not answer \(.+\); it was not resent, since the server may have done it already; check the server/
        : /answered HTTP 503 to .*: Service Unavailable$/,
    );
    expect(posts(server, route)).toHaveLength(1);
  });
});

describe("TinkerSampler routing keys", () => {
  it("forgets the least recently used affinity key past its bound; a key in use keeps its seq_id", async () => {
    const server = await serve();
    const learner = await connect(server);
    const { samplingSessionId } = (await learner.samplerForCurrentWeights()) as TinkerSampler;
    const http = new TinkerHttp({
      baseUrl: server.url,
      apiKey: "k",
      fetch,
      requestTimeoutMs: 5_000,
      retries: 0,
      retryDelayMs: 1,
      maxRetryDelayMs: 1,
      maxResponseBytes: 1 << 20,
    });
    const polling = { pollDelayMs: 1, maxPollDelayMs: 1, futureTimeoutMs: 5_000, retries: 0 };
    const sampler = new TinkerSampler(http, samplingSessionId, polling, 2);
    for (const key of ["a", "b", "a", "c", "b", "a"])
      await sampler.sample(request([1], { affinityKey: key }));
    const ids = posts(server, "asample").map((r) => (r.body as { seq_id: number }).seq_id);
    // a→0, b→1, a→0 (now most recent), c→2 evicts b, b→3 evicts a, a→4.
    expect(ids).toEqual([0, 1, 0, 2, 3, 4]);
  });
});
