import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { LearnerDatum } from "@hdpo/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { TinkerLearner } from "./tinker-learner";

// The client against the protocol's spec (../shared/spec/tinker-api.md §2), not against our own server: a real HTTP
// server on 127.0.0.1 checks every request the client sends against request shapes written from the spec's tables,
// and answers with the spec's example bodies — plus a field no version of the spec has, which a client must ignore.

const BASE_MODEL = "Qwen/Qwen3-4B-Instruct-2507";
const int = z.number().int();
const tokenList = z.array(int.nonnegative());
const tensor = z.object({ data: z.array(z.number()) });
const datum = z
  .object({
    model_input: z.object({
      chunks: z.array(z.object({ type: z.literal("encoded_text").optional(), tokens: tokenList })),
    }),
    loss_fn_inputs: z.object({ target_tokens: tensor, weights: tensor.optional() }),
  })
  .refine((d) => {
    const tokens = d.model_input.chunks.flatMap((chunk) => chunk.tokens).length;
    const { target_tokens, weights } = d.loss_fn_inputs;
    // §2.8: always send len(tokens) == len(target_tokens) == len(weights).
    return target_tokens.data.length === tokens && (weights === undefined || weights.data.length === tokens);
  }, "model_input, target_tokens and weights must have equal lengths (§2.8)");
const lossInput = z.object({
  data: z.array(datum).min(1),
  loss_fn: z.enum(["cross_entropy", "importance_sampling", "ppo", "gspo", "cispo", "dppo", "ppo_critic"]),
  loss_fn_config: z.record(z.string(), z.number()).nullable().optional(),
});
const futureId = z.string().regex(/^[0-9]+$/, "a future id is a decimal string");

/** Request bodies by route, from the spec's tables (§2.4–§2.18). */
const REQUESTS: Record<string, z.ZodType> = {
  create_session: z.object({
    tags: z.array(z.string()),
    user_metadata: z.record(z.string(), z.unknown()).nullable().optional(),
    sdk_version: z.string(),
    type: z.literal("create_session").optional(),
  }),
  session_heartbeat: z.object({ session_id: z.string(), type: z.literal("session_heartbeat").optional() }),
  create_model: z.object({
    session_id: z.string(),
    base_model: z.string(),
    lora_config: z.object({ rank: int.nonnegative(), seed: int.nullable().optional() }),
    model_role: z.string().optional(),
  }),
  forward: z.object({ model_id: z.string(), forward_input: lossInput, seq_id: int.nullable().optional() }),
  forward_backward: z.object({
    model_id: z.string(),
    forward_backward_input: lossInput,
    seq_id: int.nullable().optional(),
  }),
  optim_step: z.object({
    model_id: z.string(),
    adam_params: z.object({
      learning_rate: z.number().min(0),
      beta1: z.number().min(0).lt(1),
      beta2: z.number().min(0).lt(1),
      eps: z.number().gt(0),
      weight_decay: z.number().min(0),
    }),
    seq_id: int.nullable().optional(),
  }),
  retrieve_future: z.object({ request_id: futureId }),
  save_weights: z.object({ model_id: z.string(), path: z.string().regex(/^[a-zA-Z0-9_-]{1,255}$/) }),
  save_weights_for_sampler: z
    .object({
      model_id: z.string(),
      path: z
        .string()
        .regex(/^[a-zA-Z0-9_-]{1,255}$/)
        .nullable()
        .optional(),
      sampling_session_seq_id: int.nullable().optional(),
      seq_id: int.nullable().optional(),
    })
    .refine(
      (b) => b.path != null || (b.sampling_session_seq_id != null && b.seq_id != null),
      "either path, or both sampling_session_seq_id and seq_id (§2.14)",
    ),
  load_weights: z.object({
    model_id: z.string(),
    path: z.string().startsWith("tinker://"),
    optimizer: z.boolean().optional(),
    seq_id: int.optional(),
  }),
  weights_info: z.object({ tinker_path: z.string().startsWith("tinker://") }),
  asample: z
    .object({
      prompt: z.object({ chunks: z.array(z.object({ tokens: tokenList })).min(1) }),
      num_samples: int.positive().optional(),
      sampling_params: z.object({
        max_tokens: int.positive(),
        temperature: z.number().optional(),
        top_k: int.optional(),
        top_p: z.number().optional(),
        seed: int.nullable().optional(),
        stop: z
          .union([z.array(int), z.array(z.string())])
          .nullable()
          .optional(),
      }),
      sampling_session_id: z.string().nullable().optional(),
      seq_id: int.nullable().optional(),
    })
    .refine(
      (b) => b.sampling_session_id == null || b.seq_id != null,
      "a sampling session needs seq_id (§2.17)",
    ),
  unload_model: z.object({ model_id: z.string() }),
};

/** A field no version of the spec has: a client must accept answers that carry it (§2.0: servers drift). */
const EXTRA = { x_added_in_a_later_version: { nested: [1, 2, 3] } };

interface Recorded {
  route: string;
  body: unknown;
  headers: IncomingMessage["headers"];
  problem?: string;
}

interface SpecServer {
  url: string;
  requests: Recorded[];
  /** Model POSTs that arrived while another POST of the same model was still unanswered. */
  overlaps: number;
  close(): Promise<void>;
}

type Override = (body: Record<string, unknown>, res: ServerResponse) => boolean;

/**
 * A SkyRL-shaped server: every asynchronous POST completes at once, `retrieve_future` answers the spec's example
 * result for its route. `override(route)` may answer a request itself (return true).
 */
async function startSpecServer(
  override: (route: string) => Override | undefined = () => undefined,
): Promise<SpecServer> {
  const requests: Recorded[] = [];
  const futures = new Map<string, unknown>();
  const bySeq = new Map<string, string>();
  const open = new Map<string, number>();
  let next = 0;
  let models = 0;
  let overlaps = 0;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const future = (result: unknown) => {
    const id = String(++next);
    futures.set(id, result);
    return { future_id: id, status: "pending", request_id: id, ...EXTRA };
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const route = (req.url ?? "").replace("/api/v1/", "");
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
      const record: Recorded = { route, body, headers: req.headers };
      requests.push(record);
      const schema = REQUESTS[route];
      if (schema !== undefined) {
        const parsed = schema.safeParse(body);
        if (!parsed.success)
          record.problem = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      }
      if (req.method === "POST" && req.headers["content-type"] !== "application/json") {
        record.problem = `content-type ${req.headers["content-type"]}`;
      }
      const model = typeof body?.model_id === "string" ? body.model_id : undefined;
      if (model !== undefined) {
        if ((open.get(model) ?? 0) > 0) overlaps++;
        open.set(model, (open.get(model) ?? 0) + 1);
        res.on("finish", () => open.set(model, open.get(model)! - 1));
      }
      if (override(route)?.(body ?? {}, res)) return;
      switch (route) {
        case "healthz":
          return send(res, 200, { status: "ok", ...EXTRA });
        case "get_server_capabilities":
          return send(res, 200, { supported_models: [{ model_name: BASE_MODEL, ...EXTRA }], ...EXTRA });
        case "create_session":
          return send(res, 200, {
            type: "create_session",
            info_message: null,
            warning_message: null,
            error_message: null,
            session_id: "session_3f9a1c2e",
            ...EXTRA,
          });
        case "session_heartbeat":
          return send(res, 200, { type: "session_heartbeat" });
        case "create_model": {
          const id = `model_${String(++models).padStart(8, "0")}`;
          const lora = body!.lora_config as { rank: number; seed: number | null };
          const answer = future({
            model_id: id,
            base_model: BASE_MODEL,
            lora_config: { ...lora, alpha: 32 },
            ...EXTRA,
          });
          return send(res, 200, {
            model_id: id,
            base_model: BASE_MODEL,
            lora_config: lora,
            status: "created",
            request_id: answer.request_id,
          });
        }
        case "forward":
        case "forward_backward": {
          // §2.0: the same (model_id, seq_id) again is answered with the original request id.
          const key = `${model}:${body!.seq_id}`;
          const seen = bySeq.get(key);
          if (seen !== undefined)
            return send(res, 200, { future_id: seen, status: "pending", request_id: seen });
          const input = (
            body![route === "forward" ? "forward_input" : "forward_backward_input"] as {
              data: { loss_fn_inputs: { weights: { data: number[] } } }[];
            }
          ).data;
          const outputs = input.map((d) => ({
            logprobs: {
              data: d.loss_fn_inputs.weights.data.map(() => -0.41),
              dtype: "float32",
              shape: [d.loss_fn_inputs.weights.data.length],
            },
            ...(route === "forward"
              ? {}
              : {
                  elementwise_loss: {
                    data: d.loss_fn_inputs.weights.data.map(() => 0.41),
                    dtype: "float32",
                    shape: [1],
                  },
                }),
          }));
          const answer = future({
            loss_fn_output_type: "scalar",
            loss_fn_outputs: outputs,
            metrics:
              route === "forward"
                ? {}
                : { "total_loss:sum": 1.25, "num_tokens:sum": 5, ...{ "x_new_metric:sum": 2 } },
            ...EXTRA,
          });
          bySeq.set(key, answer.request_id);
          return send(res, 200, answer);
        }
        case "optim_step":
          return send(
            res,
            200,
            future({ metrics: { "skyrl.ai/grad_norm": 0.37, "skyrl.ai/learning_rate": 1e-6 }, ...EXTRA }),
          );
        case "save_weights":
          return send(
            res,
            200,
            future({ path: `tinker://${model}/weights/${body!.path}`, type: "save_weights", ...EXTRA }),
          );
        case "save_weights_for_sampler":
          return send(
            res,
            200,
            future({
              path: null,
              type: "save_weights_for_sampler",
              sampling_session_id: "sampling_0c1d2e3f",
              ...EXTRA,
            }),
          );
        case "weights_info":
          return send(res, 200, { base_model: BASE_MODEL, is_lora: false, lora_rank: 0, ...EXTRA });
        case "load_weights":
          return send(res, 200, future({ type: "load_weights", ...EXTRA }));
        case "asample":
          return send(
            res,
            200,
            future({
              sequences: [
                { stop_reason: "stop", tokens: [785, 4226, 374], logprobs: [-0.12, -0.4, -0.01], ...EXTRA },
              ],
              prompt_logprobs: null,
              topk_prompt_logprobs: null,
              ...EXTRA,
            }),
          );
        case "unload_model": {
          const answer = future({ model_id: model, status: "unloaded", type: "unload_model" });
          return send(res, 200, { request_id: answer.request_id, model_id: model });
        }
        case "retrieve_future": {
          const result = futures.get(String(body!.request_id));
          if (result === undefined) return send(res, 404, { detail: "Future not found" });
          return send(res, 200, result);
        }
        default:
          return send(res, 404, { detail: "Not Found" });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get overlaps() {
      return overlaps;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const servers: SpecServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function spec(override?: (route: string) => Override | undefined): Promise<SpecServer> {
  const server = await startSpecServer(override);
  servers.push(server);
  return server;
}

const connect = (url: string, extra: Partial<Parameters<typeof TinkerLearner.connect>[0]> = {}) =>
  TinkerLearner.connect({
    baseUrl: url,
    baseModel: BASE_MODEL,
    loraRank: 0,
    apiKey: "tml-dummy",
    heartbeat: false,
    retryDelayMs: 1,
    pollDelayMs: 1,
    ...extra,
  });

const sequence: LearnerDatum = {
  modelInput: [{ type: "encoded_text", tokens: [9707, 11, 1879, 0, 358] }],
  targetTokens: [11, 1879, 0, 358, 1079],
  weights: [0, 0, 1, 1, 1],
};

describe("the Tinker client against the spec's shapes", () => {
  it("sends only requests that follow the spec, one POST at a time per model, and reads answers with extra fields", async () => {
    const server = await spec();
    const learner = await connect(server.url);
    const forward = await learner.forward([sequence]);
    expect(forward.logProbs).toEqual([[-0.41, -0.41, -0.41, -0.41, -0.41]]);
    const [fb, step] = await Promise.all([
      learner.forwardBackward([sequence, sequence]),
      learner.optimStep({
        learningRate: 1e-6,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        gradClipNorm: 1,
      }),
    ]);
    expect(fb.loss).toBe(1.25);
    expect(step).toEqual({ gradNorm: 0.37, learningRate: 1e-6 });
    const sampler = await learner.samplerForCurrentWeights();
    const sampled = await sampler.sample({
      prompt: [{ type: "encoded_text", tokens: [151644, 872, 198] }],
      maxTokens: 16,
      temperature: 1,
      topP: 1,
      seed: 1234,
      stop: ["</answer>"],
      affinityKey: "trajectory-1",
    });
    expect(sampled).toEqual({ tokens: [785, 4226, 374], logProbs: [-0.12, -0.4, -0.01], stopReason: "stop" });
    const state = await learner.saveState("step_000100");
    expect(state).toBe("tinker://model_00000001/weights/step_000100");
    await learner.loadState(state, { weightsOnly: true });
    await learner.close();

    const routes = server.requests.map((r) => r.route);
    for (const route of [
      "healthz",
      "get_server_capabilities",
      "create_session",
      "create_model",
      "forward",
      "forward_backward",
      "optim_step",
      "save_weights_for_sampler",
      "asample",
      "save_weights",
      "weights_info",
      "load_weights",
      "unload_model",
      "retrieve_future",
    ]) {
      expect(routes, route).toContain(route);
    }
    const problems = server.requests
      .filter((r) => r.problem !== undefined)
      .map((r) => `${r.route}: ${r.problem}`);
    expect(problems).toEqual([]);
    expect(server.overlaps).toBe(0);
    for (const request of server.requests) {
      expect(request.headers["x-api-key"], request.route).toBe("tml-dummy");
      // JSON only: SkyRL answers protobuf to a client whose Accept names it (§2.20).
      expect(request.headers.accept ?? "", request.route).not.toContain("protobuf");
    }
    // The loaded model is a fresh one, after the full-parameter model was unloaded (one at a time on SkyRL fsdp).
    expect(routes.slice(routes.indexOf("weights_info"))).toEqual([
      "weights_info",
      "unload_model",
      "retrieve_future",
      "create_model",
      "retrieve_future",
      "load_weights",
      "retrieve_future",
      "unload_model",
    ]);
  });

  it("resends a forward_backward whose answer was lost with the same seq_id and body, and the work is done once", async () => {
    let dropped = false;
    const server = await spec((route) =>
      route === "forward_backward" && !dropped
        ? (_body, res) => {
            dropped = true;
            res.socket?.destroy();
            return true;
          }
        : undefined,
    );
    const learner = await connect(server.url);
    await learner.forwardBackward([sequence]);
    const sent = server.requests.filter((r) => r.route === "forward_backward");
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body).toEqual(sent[0]!.body);
    await learner.close();
  });

  it("never resends a create_model: a 503 fails connect in one line", async () => {
    const server = await spec((route) =>
      route === "create_model"
        ? (_body, res) => {
            res.writeHead(503, { "content-type": "application/json" });
            res.end(JSON.stringify({ detail: "engine starting" }));
            return true;
          }
        : undefined,
    );
    await expect(connect(server.url)).rejects.toThrow(
      /^connect: the server answered HTTP 503 .*engine starting$/,
    );
    expect(server.requests.filter((r) => r.route === "create_model")).toHaveLength(1);
  });

  it("names the missing field of an answer that lacks a required one", async () => {
    const server = await spec((route) =>
      route === "create_session"
        ? (_body, res) => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ type: "create_session", info_message: null }));
            return true;
          }
        : undefined,
    );
    await expect(connect(server.url)).rejects.toThrow(
      /^connect: the answer of .*create_session does not follow the Tinker protocol \(session_id: .*\); the server is not a compatible Tinker server or is broken\.$/,
    );
  });

  it("gives up on a future that stays pending (408 every time) after futureTimeoutMs", async () => {
    let pendingFrom = Number.POSITIVE_INFINITY;
    const server = await spec((route) =>
      route === "retrieve_future"
        ? (body, res) => {
            if (Number(body.request_id) < pendingFrom) return false;
            res.writeHead(408, { "content-type": "application/json" });
            res.end(JSON.stringify({ detail: "Timeout waiting for result" }));
            return true;
          }
        : undefined,
    );
    const learner = await connect(server.url, { futureTimeoutMs: 300 });
    pendingFrom = 0;
    await expect(learner.forward([sequence])).rejects.toThrow(
      /^forward: future \d+ is still pending after 300 ms; the server may be overloaded or stuck/,
    );
    expect(server.requests.filter((r) => r.route === "retrieve_future").length).toBeGreaterThan(2);
  });

  it("reports a failed future's error, and a restarted server that lost the future", async () => {
    let mode: "fail" | "lost" | undefined;
    const server = await spec((route) =>
      route === "retrieve_future"
        ? (_body, res) => {
            if (mode === undefined) return false;
            res.writeHead(mode === "fail" ? 400 : 404, { "content-type": "application/json" });
            res.end(
              JSON.stringify({ detail: mode === "fail" ? "Model model_x not loaded" : "Future not found" }),
            );
            return true;
          }
        : undefined,
    );
    const learner = await connect(server.url);
    mode = "fail";
    await expect(learner.forward([sequence])).rejects.toThrow(
      /^forward: the server failed the work \(future \d+\): Model model_x not loaded$/,
    );
    mode = "lost";
    await expect(learner.forward([sequence])).rejects.toThrow(/does not know future \d+ .*reconnect\.$/);
  });
});
