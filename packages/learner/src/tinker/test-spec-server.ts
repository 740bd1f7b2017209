// Test-only: a Tinker server on 127.0.0.1 that behaves as the project's spec says SkyRL does (fsdp, or jax where a
// test asks), answers with the spec's documented shapes, and records every request with what was wrong with it
// (test-spec-requests.ts) and when it arrived and was answered. Faults (lost answers, 503s, hangs, a restart that
// loses the database, pending or failing futures, answers with unknown or missing fields) are injected per request.
// Not exported from the package.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bodyProblems, headerProblems } from "./test-spec-requests";

/** One request as the server received it. */
export interface RecordedRequest {
  /** Arrival order, from 0, across restarts. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as sent. */
  raw: string;
  body: unknown;
  /** The model a model-scoped POST is for. */
  modelId?: string;
  /** `<sampling_session_id>:<seq_id>` of an asample (the vLLM routing key, §2.17). */
  routingKey?: string;
  arrivedAt: bigint;
  /** When the answer was written, or the connection closed without one. */
  endedAt?: bigint;
  /** The status answered; undefined when the connection was cut or left hanging. */
  status?: number;
  /** What breaks the spec or this client's contract, one line each. */
  problems: string[];
}

/** A fault injected into one request instead of its normal answer. */
export type Fault =
  /** Answered as given, no work done (a proxy's 503, say). */
  | { status: number; body: unknown }
  /** The connection is cut before any work. */
  | "drop"
  /** The work is done (its future exists), then the connection is cut: the client never sees the answer. */
  | "drop-after-work"
  /** Never answered. */
  | "hang"
  /** Answered, then the server restarts without its database (every session, model and future forgotten). */
  | "restart-after-answer";

export interface SpecServerOptions {
  baseModel: string;
  /** fsdp (default): forward answers log-probs only; jax: elementwise_loss and log-probs (§2.9). */
  backend?: "fsdp" | "jax";
  /** Advertise hdpo-learner's `hdpo` extension in get_server_capabilities. */
  hdpoExtension?: boolean;
  /** Each model-scoped POST is held this long before it is answered, so overlapping POSTs would show. */
  modelPostDelayMs?: number;
  /** How long retrieve_future holds a pending future before answering "not yet" (SkyRL: 300 s). Default 1 s. */
  holdMs?: number;
  /** The "not yet" answer: SkyRL's 408, or hosted Tinker's 200 try_again body. */
  pendingAnswer?: "408" | "try_again";
  /** Answers carry fields the spec does not know (a newer server). */
  unknownFields?: boolean;
  /** How long a route's work takes, in ms (Infinity: never done). Default 0. */
  workMs?: (route: string) => number;
  /** How many times retrieve_future answers "not yet" for a route's future before its result (a count, not a time, so
   * that the pending path is taken however slow the machine). Default 0. */
  pendingPolls?: (route: string) => number;
  /** A route's work fails with this text (retrieve_future then answers 400 with it as detail). */
  failWork?: (route: string, body: Record<string, unknown>) => string | undefined;
  /** A fault for a request, after its body was read and checked. */
  fault?: (request: RecordedRequest) => Fault | undefined;
  /** Rewrites an answer ("answer": the POST's own, "result": a future's) before it is sent. */
  rewrite?: (route: string, kind: "answer" | "result", body: Record<string, unknown>) => unknown;
}

/** The log-prob this server assigns to `token` at target position `position` (any deterministic, non-zero rule). */
export function specLogProb(token: number, position: number): number {
  return -(0.05 + ((token * 37 + position * 11) % 100) / 50);
}

/** The sequence this server samples for a prompt of `promptLength` tokens (§2.17's SampleOutput entries). */
export function specSample(
  promptLength: number,
  maxTokens: number,
  seed: number,
): { tokens: number[]; logprobs: number[]; stop_reason: "stop" | "length" } {
  const n = Math.min(maxTokens, 4);
  const tokens = Array.from({ length: n }, (_, k) => ((seed + 13 * k + promptLength) % 5000) + 1);
  const logprobs = tokens.map((_, k) => -(0.1 + 0.05 * k));
  return { tokens, logprobs, stop_reason: maxTokens <= 4 ? "length" : "stop" };
}

/** Routes whose POSTs are executed per model in arrival order: they must reach the server one at a time (§1.4). */
const MODEL_POSTS = new Set(
  [
    "forward",
    "forward_backward",
    "optim_step",
    "save_weights",
    "save_weights_for_sampler",
    "load_weights",
    "unload_model",
  ].map((route) => `/api/v1/${route}`),
);
const TRAINING_POSTS = new Set(["/api/v1/forward", "/api/v1/forward_backward", "/api/v1/optim_step"]);

interface FutureRow {
  route: string;
  done: boolean;
  /** "Not yet" answers still owed before the result. */
  pendingPolls: number;
  result?: Record<string, unknown>;
  error?: string;
  waiters: (() => void)[];
  /** When a completed answer for it was first sent. */
  retrievedAt?: bigint;
}

interface ModelRow {
  id: string;
  rank: number;
  createFuture: string;
  /** Accepted model POSTs since create_model (load_weights must be the first). */
  requests: number;
  seqIds: Map<number, { payload: string; requestId: string }>;
  unloaded: boolean;
  /** Σ w² of the forward_backward data since the last optim_step: this server's stand-in for the gradient. */
  pendingGradSq: number;
}

interface Datum {
  model_input: { chunks: { tokens: number[] }[] };
  loss_fn_inputs: Record<string, { data: number[] } | undefined>;
}

class State {
  sessions = new Set<string>();
  models = new Map<string, ModelRow>();
  futures = new Map<string, FutureRow>();
  /** `<model_id>/<weights|sampler_weights>/<name>` → the future that saves it. */
  checkpoints = new Map<string, { future: string; rank: number }>();
  samplers = new Map<string, { future: string }>();
  private ids = 0;
  private futureCount = 0;

  id(prefix: string): string {
    return `${prefix}_${(++this.ids).toString(16).padStart(8, "0")}`;
  }

  nextFuture(): string {
    return String(++this.futureCount);
  }
}

class AnswerError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(String(detail));
  }
}

/** A Tinker server of the spec on 127.0.0.1. */
export class SpecServer {
  /** Every request received, in arrival order (kept across restarts). */
  readonly requests: RecordedRequest[] = [];
  /** Futures created per route (a deduplicated retry creates none). */
  readonly work = new Map<string, number>();
  private state = new State();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly server: Server;
  private port = 0;

  private constructor(private readonly options: SpecServerOptions) {
    this.server = createServer((req, res) => {
      const record: RecordedRequest = {
        index: this.requests.length,
        method: req.method ?? "",
        path: (req.url ?? "").split("?")[0]!,
        headers: req.headers,
        raw: "",
        body: undefined,
        arrivedAt: process.hrtime.bigint(),
        problems: [],
      };
      this.requests.push(record);
      res.on("close", () => {
        record.endedAt ??= process.hrtime.bigint();
      });
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        record.raw = Buffer.concat(chunks).toString("utf8");
        void this.handle(record, res);
      });
    });
  }

  static async start(options: SpecServerOptions): Promise<SpecServer> {
    const server = new SpecServer(options);
    await server.listen(0);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every problem, labelled with its request. */
  problems(): string[] {
    return this.requests.flatMap((r) => r.problems.map((p) => `#${r.index} ${r.method} ${r.path}: ${p}`));
  }

  /**
   * Model-scoped POSTs that reached the server before the previous POST for the same model was answered (§1.4:
   * the engine executes them in arrival order, so they must go one at a time).
   */
  overlaps(): string[] {
    const last = new Map<string, RecordedRequest>();
    const found: string[] = [];
    for (const record of this.requests) {
      if (record.method !== "POST" || !MODEL_POSTS.has(record.path) || record.modelId === undefined) continue;
      const previous = last.get(record.modelId);
      if (
        previous !== undefined &&
        (previous.endedAt === undefined || record.arrivedAt <= previous.endedAt)
      ) {
        found.push(
          `#${record.index} ${record.path} arrived before #${previous.index} ${previous.path} was answered`,
        );
      }
      last.set(record.modelId, record);
    }
    return found;
  }

  /** The POSTs received, without retrieve_future, as route names ("forward", …). */
  routes(): string[] {
    return this.requests
      .filter((r) => r.method === "POST" && r.path !== "/api/v1/retrieve_future")
      .map((r) => r.path.slice("/api/v1/".length));
  }

  /** Restarts without the database: connections cut, everything forgotten, the same port. */
  async restart(): Promise<void> {
    await this.stop();
    this.state = new State();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const row of this.state.futures.values()) for (const wake of row.waiters.splice(0)) wake();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(record: RecordedRequest, res: ServerResponse): Promise<void> {
    record.problems.push(...headerProblems(record.method, record.headers));
    if (record.raw.length > 0) {
      try {
        record.body = JSON.parse(record.raw);
      } catch {
        record.problems.push("body: not JSON");
        this.answer(record, res, 422, {
          detail: [{ type: "json_invalid", loc: ["body"], msg: "JSON decode error" }],
        });
        return;
      }
    }
    const shape = bodyProblems(record.method, record.path, record.body);
    const body = (record.body ?? {}) as Record<string, unknown>;
    if (typeof body.model_id === "string") record.modelId = body.model_id;
    if (shape.length > 0) {
      record.problems.push(...shape);
      // FastAPI's 422 shape (§2.0); this server also refuses what SkyRL would accept but misread.
      const detail = shape.map((line) => {
        const cut = line.indexOf(": ");
        return { type: "contract", loc: ["body", line.slice(0, cut)], msg: line.slice(cut + 2), input: null };
      });
      this.answer(record, res, 422, { detail });
      return;
    }
    if (MODEL_POSTS.has(record.path) && (this.options.modelPostDelayMs ?? 0) > 0) {
      await this.sleep(this.options.modelPostDelayMs!);
    }
    const fault = this.options.fault?.(record);
    if (fault === "drop" || fault === "hang") {
      if (fault === "drop") res.socket?.destroy();
      return;
    }
    if (fault !== undefined && typeof fault === "object") {
      this.answer(record, res, fault.status, fault.body);
      return;
    }
    let status = 200;
    let answer: unknown;
    try {
      answer = await this.route(record, body);
    } catch (error) {
      status = error instanceof AnswerError ? error.status : 500;
      answer = { detail: error instanceof AnswerError ? error.detail : "Unknown error" };
      // A crash is this test server's bug, not the client's; it is recorded so that the test fails on it.
      if (!(error instanceof AnswerError)) record.problems.push(`the test server crashed: ${String(error)}`);
    }
    if (fault === "drop-after-work") {
      res.socket?.destroy();
      return;
    }
    if (fault === "restart-after-answer") res.once("finish", () => void this.restart());
    this.answer(record, res, status, answer);
  }

  private answer(record: RecordedRequest, res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed || res.writableEnded) return;
    record.status = status;
    record.endedAt = process.hrtime.bigint();
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  /** The answer of a 2xx, with unknown fields and the test's rewrite applied. */
  private shaped(route: string, kind: "answer" | "result", body: Record<string, unknown>): unknown {
    const extended = this.options.unknownFields === true ? withUnknownFields(body) : body;
    return this.options.rewrite?.(route, kind, extended) ?? extended;
  }

  private async route(record: RecordedRequest, body: Record<string, unknown>): Promise<unknown> {
    const state = this.state;
    const route = record.path.slice("/api/v1/".length);
    const key = `${record.method} ${record.path}`;
    switch (key) {
      case "GET /api/v1/healthz":
        return this.shaped(route, "answer", { status: "ok" });
      case "POST /api/v1/client/config":
        return { pjwt_auth_enabled: false };
      case "GET /api/v1/get_server_capabilities":
        return this.shaped(route, "answer", {
          supported_models: [{ model_name: this.options.baseModel }],
          ...(this.options.hdpoExtension === true
            ? { hdpo: { adam_params: "all", grad_clip_norm: true, temperature: 1 } }
            : {}),
        });
      case "POST /api/v1/create_session": {
        const id = state.id("session");
        state.sessions.add(id);
        return this.shaped(route, "answer", {
          type: "create_session",
          info_message: null,
          warning_message: null,
          error_message: null,
          session_id: id,
        });
      }
      case "POST /api/v1/session_heartbeat":
        if (!state.sessions.has(body.session_id as string)) throw new AnswerError(404, "Session not found");
        return this.shaped(route, "answer", { type: "session_heartbeat" });
      case "POST /api/v1/create_model":
        return this.createModel(body);
      case "POST /api/v1/get_info": {
        const model = this.model(body);
        return this.shaped(route, "answer", {
          model_id: model.id,
          status: model.unloaded ? "unloaded" : "created",
          model_data: {
            base_model: this.options.baseModel,
            lora_config: { rank: model.rank, seed: null },
            model_name: this.options.baseModel,
          },
        });
      }
      case "POST /api/v1/retrieve_future":
        return this.retrieve(body.request_id as string);
      case "POST /api/v1/weights_info": {
        const checkpoint = state.checkpoints.get(String(body.tinker_path).slice("tinker://".length));
        if (checkpoint === undefined) throw new AnswerError(404, "Checkpoint not found");
        return {
          base_model: this.options.baseModel,
          is_lora: checkpoint.rank > 0,
          lora_rank: checkpoint.rank,
        };
      }
      case "POST /api/v1/asample":
        return this.sample(record, body);
      default:
        if (MODEL_POSTS.has(record.path)) return this.modelPost(record, route, body);
        throw new AnswerError(404, "Not Found");
    }
  }

  private model(body: Record<string, unknown>): ModelRow {
    const model = this.state.models.get(body.model_id as string);
    if (model === undefined || model.unloaded) throw new AnswerError(404, "Model not found");
    return model;
  }

  /** A future whose result (or error) is computed now, in arrival order, and revealed after the route's work time. */
  private future(
    route: string,
    compute: (id: string) => Record<string, unknown>,
    body: Record<string, unknown>,
  ): string {
    const id = this.state.nextFuture();
    const row: FutureRow = {
      route,
      done: false,
      pendingPolls: this.options.pendingPolls?.(route) ?? 0,
      waiters: [],
    };
    this.state.futures.set(id, row);
    this.work.set(route, (this.work.get(route) ?? 0) + 1);
    const failure = this.options.failWork?.(route, body);
    try {
      if (failure === undefined) row.result = compute(id);
      else row.error = failure;
    } catch (error) {
      if (!(error instanceof AnswerError)) throw error;
      row.error = String(error.detail);
    }
    const complete = () => {
      row.done = true;
      for (const wake of row.waiters.splice(0)) wake();
    };
    const ms = this.options.workMs?.(route) ?? 0;
    if (ms === 0) complete();
    else if (Number.isFinite(ms)) void this.sleep(ms).then(complete);
    return id;
  }

  private pending(id: string): Record<string, unknown> {
    return { future_id: id, status: "pending", request_id: id };
  }

  private createModel(body: Record<string, unknown>): unknown {
    if (!this.state.sessions.has(body.session_id as string)) throw new AnswerError(404, "Session not found");
    const lora = body.lora_config as { rank: number; seed?: number | null };
    const id = this.state.id("model");
    const createFuture = this.future(
      "create_model",
      (futureId) => {
        if (this.options.backend === "jax" && (lora.rank < 1 || lora.rank > 32)) {
          throw new AnswerError(400, `LoRA rank ${lora.rank} is not in 1…32 (max_lora_rank)`);
        }
        this.state.models.set(id, {
          id,
          rank: lora.rank,
          createFuture: futureId,
          requests: 0,
          seqIds: new Map(),
          unloaded: false,
          pendingGradSq: 0,
        });
        return {
          model_id: id,
          base_model: body.base_model,
          lora_config: {
            rank: lora.rank,
            alpha: 32.0,
            seed: lora.seed ?? null,
            train_attn: true,
            train_mlp: true,
            train_unembed: false,
          },
        };
      },
      body,
    );
    return this.shaped("create_model", "answer", {
      model_id: id,
      base_model: body.base_model,
      lora_config: { rank: lora.rank, seed: lora.seed ?? null },
      status: "created",
      request_id: createFuture,
    });
  }

  private async retrieve(id: string): Promise<unknown> {
    const row = this.state.futures.get(id);
    if (row === undefined) throw new AnswerError(404, "Future not found");
    if (!row.done) {
      // The long poll: held until the work is done or the hold runs out.
      await Promise.race([
        new Promise<void>((resolve) => row.waiters.push(resolve)),
        this.sleep(this.options.holdMs ?? 1_000),
      ]);
    }
    const owed = row.pendingPolls > 0;
    if (owed) row.pendingPolls--;
    if (!row.done || owed) {
      if (this.options.pendingAnswer === "try_again") {
        return { type: "try_again", request_id: id, queue_state: "active", queue_state_reason: null };
      }
      throw new AnswerError(408, "Timeout waiting for result");
    }
    if (row.error !== undefined) throw new AnswerError(400, row.error);
    row.retrievedAt ??= process.hrtime.bigint();
    return this.shaped(row.route, "result", row.result!);
  }

  private modelPost(record: RecordedRequest, route: string, body: Record<string, unknown>): unknown {
    const model = this.model(body);
    const ready = this.state.futures.get(model.createFuture);
    if (ready?.retrievedAt === undefined) {
      record.problems.push(`sent for ${model.id} before its create_model future was retrieved (§1.4)`);
    }
    if (TRAINING_POSTS.has(record.path) && typeof body.seq_id === "number") {
      // (model_id, seq_id) is an idempotency key (§2.0): the same payload again is the same request.
      const seen = model.seqIds.get(body.seq_id);
      const payload = JSON.stringify(body);
      if (seen !== undefined) {
        if (seen.payload !== payload)
          throw new AnswerError(409, "Training request sequence number was reused");
        return this.shaped(route, "answer", this.pending(seen.requestId));
      }
      const id = this.runModelPost(model, route, body);
      model.seqIds.set(body.seq_id, { payload, requestId: id });
      return this.shaped(route, "answer", this.pending(id));
    }
    const id = this.runModelPost(model, route, body);
    if (route === "unload_model") return this.shaped(route, "answer", { request_id: id, model_id: model.id });
    return this.shaped(route, "answer", this.pending(id));
  }

  private runModelPost(model: ModelRow, route: string, body: Record<string, unknown>): string {
    const state = this.state;
    if (route === "load_weights" && model.requests > 0) {
      throw new AnswerError(400, `LoadWeights is not permitted with seq_id ${String(body.seq_id)}`);
    }
    model.requests++;
    switch (route) {
      case "forward":
        return this.future(route, () => this.pass(model, body.forward_input, false), body);
      case "forward_backward":
        return this.future(route, () => this.pass(model, body.forward_backward_input, true), body);
      case "optim_step":
        return this.future(
          route,
          () => {
            const norm = Math.sqrt(model.pendingGradSq);
            model.pendingGradSq = 0;
            const lr = (body.adam_params as { learning_rate: number }).learning_rate;
            return { metrics: { "skyrl.ai/grad_norm": norm, "skyrl.ai/learning_rate": lr } };
          },
          body,
        );
      case "save_weights": {
        const key = `${model.id}/weights/${String(body.path)}`;
        if (state.checkpoints.has(key))
          throw new AnswerError(409, `Checkpoint ${String(body.path)} already exists`);
        const id = this.future(route, () => ({ path: `tinker://${key}`, type: "save_weights" }), body);
        state.checkpoints.set(key, { future: id, rank: model.rank });
        return id;
      }
      case "save_weights_for_sampler": {
        const persistent = typeof body.path === "string";
        const name = persistent ? String(body.path) : `ss${body.sampling_session_seq_id}_seq${body.seq_id}`;
        const key = `${model.id}/sampler_weights/${name}`;
        if (state.checkpoints.has(key)) throw new AnswerError(409, `Checkpoint ${name} already exists`);
        const sampler = persistent ? null : state.id("sampling");
        const id = this.future(
          route,
          () => ({
            // The persistent path lacks `sampler_weights/` (§2.14).
            path: persistent ? `tinker://${model.id}/${name}` : null,
            type: "save_weights_for_sampler",
            sampling_session_id: sampler,
          }),
          body,
        );
        state.checkpoints.set(key, { future: id, rank: model.rank });
        if (sampler !== null) state.samplers.set(sampler, { future: id });
        return id;
      }
      case "load_weights": {
        const checkpoint = state.checkpoints.get(String(body.path).slice("tinker://".length));
        if (checkpoint === undefined) throw new AnswerError(404, "Checkpoint not found");
        if (!state.futures.get(checkpoint.future)?.done)
          throw new AnswerError(425, "Checkpoint is still being saved");
        return this.future(route, () => ({ type: "load_weights" }), body);
      }
      default: {
        model.unloaded = true;
        return this.future(
          route,
          () => ({ model_id: model.id, status: "unloaded", type: "unload_model" }),
          body,
        );
      }
    }
  }

  /** forward / forward_backward on `cross_entropy` (§2.9, §2.10), aligned as the chosen backend aligns. */
  private pass(model: ModelRow, input: unknown, backward: boolean): Record<string, unknown> {
    const { data, loss_fn } = input as { data: Datum[]; loss_fn: string };
    const jax = this.options.backend === "jax";
    let total = 0;
    let tokensCounted = 0;
    const outputs = data.map((datum) => {
      const tokens = datum.model_input.chunks.flatMap((chunk) => chunk.tokens);
      const targets = datum.loss_fn_inputs.target_tokens!.data;
      // fsdp/megatron rebuild the sequence from the input and the last target (§2.8).
      const sequence = [...tokens, targets.at(-1)!];
      const all = tokens.map((_, t) => specLogProb(sequence[t + 1]!, t));
      const n = jax ? tokens.length : (datum.loss_fn_inputs.weights?.data.length ?? targets.length);
      const weights = datum.loss_fn_inputs.weights?.data ?? targets.map(() => 1);
      // fsdp/megatron right-align per-token inputs and outputs to len(weights); jax aligns them from position 0.
      const logprobs = jax ? all : all.slice(all.length - n);
      const losses = logprobs.map((l, t) => -l * (weights[t] ?? 1));
      if (backward) {
        model.pendingGradSq += weights.reduce((sum, w) => sum + w * w, 0);
        total += losses.reduce((sum, x) => sum + x, 0);
        tokensCounted += n;
      }
      const tensor = (values: number[]) => ({ data: values, dtype: "float32", shape: [values.length] });
      if (jax || (backward && loss_fn === "cross_entropy")) {
        return { elementwise_loss: tensor(losses), logprobs: tensor(logprobs) };
      }
      return { logprobs: tensor(logprobs) };
    });
    const metrics =
      backward && !jax && loss_fn === "cross_entropy"
        ? { "total_loss:sum": total, "num_tokens:sum": tokensCounted }
        : {};
    return { loss_fn_output_type: "scalar", loss_fn_outputs: outputs, metrics };
  }

  private sample(record: RecordedRequest, body: Record<string, unknown>): unknown {
    const sessionId = body.sampling_session_id as string | null | undefined;
    if (typeof sessionId !== "string")
      throw new AnswerError(400, "this server samples from sampling sessions only");
    const sampler = this.state.samplers.get(sessionId);
    if (sampler === undefined) throw new AnswerError(404, "Sampling session not found");
    const saved = this.state.futures.get(sampler.future)!;
    if (saved.retrievedAt === undefined) {
      record.problems.push("asample before its save_weights_for_sampler future was retrieved (§1.4)");
    }
    if (!saved.done) throw new AnswerError(425, "Sampler weights are still being saved");
    record.routingKey = `${sessionId}:${String(body.seq_id)}`;
    const prompt = (body.prompt as { chunks: { tokens: number[] }[] }).chunks.flatMap(
      (chunk) => chunk.tokens,
    );
    const params = body.sampling_params as { max_tokens: number; seed?: number | null };
    const count = (body.num_samples as number | undefined) ?? 1;
    const id = this.future(
      "asample",
      () => ({
        sequences: Array.from({ length: count }, (_, j) =>
          specSample(prompt.length, params.max_tokens, (params.seed ?? 0) + j),
        ),
        prompt_logprobs: null,
        topk_prompt_logprobs: null,
      }),
      body,
    );
    return this.shaped("asample", "answer", this.pending(id));
  }
}

/** A newer server's answer: fields the spec does not list, at the top and inside the nested objects. */
function withUnknownFields(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...body,
    server_build: "newer",
    queue_stats: { waiting: 0, rows: [1, 2] },
  };
  if (isRecord(out.metrics)) out.metrics = { ...out.metrics, "skyrl.ai/new_metric:mean": 0.5 };
  if (isRecord(out.lora_config)) out.lora_config = { ...out.lora_config, target_modules: ["q_proj"] };
  if (Array.isArray(out.supported_models)) {
    out.supported_models = out.supported_models.map((model: Record<string, unknown>) => ({
      ...model,
      max_context: 32768,
    }));
  }
  if (Array.isArray(out.loss_fn_outputs)) {
    out.loss_fn_outputs = out.loss_fn_outputs.map((entry: Record<string, Record<string, unknown>>) => ({
      ...Object.fromEntries(
        Object.entries(entry).map(([key, tensor]) => [key, { ...tensor, layout: "dense" }]),
      ),
      entropy: { data: [0.25], dtype: "float32", shape: [1] },
    }));
  }
  if (Array.isArray(out.sequences)) {
    out.sequences = out.sequences.map((sequence: Record<string, unknown>) => ({
      ...sequence,
      finish_detail: "eos",
    }));
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
