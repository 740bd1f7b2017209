import type {
  Learner,
  LearnerAdamParams,
  LearnerDatum,
  LearnerForwardBackwardOutput,
  LearnerForwardOutput,
  LearnerInfo,
  LearnerOptimStepOutput,
  LearnerPassOptions,
  LearnerSampler,
} from "@hdpo/core";
import { z } from "zod";
import { checkAdamParams } from "../adam-params";
import { LearnerError } from "../learner-error";
import { isStateName } from "../state-name";
import { downloadArchive } from "./archive-download";
import { extractTarInto } from "./archive-extract";
import { checkBaseModel, checkTemperature, learnerCapabilities } from "./capabilities";
import { type FuturePolling, retrieveFuture } from "./futures";
import { errorDetail, NoAnswerError, type RequestSpec, TinkerHttp } from "./http";
import { PostQueue } from "./post-queue";
import {
  API_PREFIX,
  CapabilitiesSchema,
  CreateModelResultSchema,
  CreateModelSchema,
  CreateSessionSchema,
  type ForwardResult,
  ForwardResultSchema,
  FutureResponseSchema,
  HealthSchema,
  LoadWeightsResultSchema,
  OptimStepResultSchema,
  SaveForSamplerResultSchema,
  SaveWeightsResultSchema,
  type ServerCapabilities,
  TINKER_CLIENT_SDK_VERSION,
  TINKER_PROTOCOL_VERSION,
} from "./protocol";
import { splitWireData } from "./request-split";
import { TinkerSampler } from "./tinker-sampler";
import { toWireData, type WireData } from "./wire-datum";

/** Options of {@link TinkerLearner.connect}. */
export interface TinkerLearnerOptions {
  /** The server's root, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** The base model to train; the server must serve it. */
  baseModel: string;
  /** Sent as `X-API-Key`; default `TINKER_API_KEY` from the environment, else "tml-dummy" (SkyRL checks none). */
  apiKey?: string;
  /** LoRA rank; 0 trains every parameter (SkyRL fsdp/megatron and hdpo-learner). */
  loraRank: number;
  /** LoRA initialisation seed; the server picks one when omitted. */
  loraSeed?: number;
  /** Session tags, stored by the server. Default ["hdpo"]. */
  tags?: string[];
  /** Limit of one HTTP exchange in ms (long polls are simply repeated). Default 60 000. */
  requestTimeoutMs?: number;
  /** Repeats of an idempotent request after a network error, a timeout, 429 or 5xx. Default 3. */
  retries?: number;
  /** The fetch to use (tests, proxies). Default the global one. */
  fetch?: typeof fetch;
  /**
   * Heartbeat the session every 10 s (an unref'd timer, stopped by close). A session that heartbeats and then
   * stops is expired by the server after its timeout; one that never heartbeats is never expired. Default true.
   */
  heartbeat?: boolean;
  /** First pause before a retry, in ms (doubling up to 8 s). Default 250. */
  retryDelayMs?: number;
  /** First pause between polls of a pending future, in ms (doubling up to 1 s). Default 50. */
  pollDelayMs?: number;
  /** A future still pending after this long fails. Default 2 hours (a cluster's first model takes minutes). */
  futureTimeoutMs?: number;
  /** Largest JSON answer accepted, in bytes. Default 1 GiB. */
  maxResponseBytes?: number;
  /** Largest weights archive `exportWeights` accepts (download and contents), in bytes. Default 256 GiB. */
  maxExportBytes?: number;
}

/** A model on the server and the order of its requests. */
interface ModelHandle {
  id: string;
  /** The last `seq_id` sent: one counter per model across request types, as the SDK keeps it. */
  seq: number;
  queue: PostQueue;
}

const HEARTBEAT_MS = 10_000;
const MAX_EXPORT_ENTRIES = 100_000;

/**
 * The Learner seam over the Tinker training API (JSON over HTTP, as SkyRL serves it at {@link
 * TINKER_PROTOCOL_VERSION}): a session and a model on a remote server, forward / forward_backward with
 * `cross_entropy` and per-token weights (HDPO's custom-loss route), optim_step, training states, sampler weights
 * and weight export. A model's POSTs go out one at a time, in call order, because the server executes them in
 * arrival order; futures are then long-polled.
 */
export class TinkerLearner implements Learner {
  /** The protocol this client speaks. */
  static readonly protocolVersion = TINKER_PROTOCOL_VERSION;
  readonly info: LearnerInfo;
  private model: ModelHandle | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatInFlight = false;
  private lostSession: string | undefined;
  private closed = false;
  private samplingSessionSeq = 0;
  private exportCount = 0;

  private constructor(
    private readonly http: TinkerHttp,
    readonly sessionId: string,
    private readonly options: Required<Pick<TinkerLearnerOptions, "loraRank" | "maxExportBytes">> &
      Pick<TinkerLearnerOptions, "loraSeed"> & {
        /** The server holds one full-parameter model at a time (SkyRL fsdp; our servers say otherwise). */
        oneFullParameterModel: boolean;
      },
    private readonly polling: FuturePolling,
    info: LearnerInfo,
  ) {
    this.info = info;
  }

  /**
   * Checks the server (healthz, the base model among those it serves), opens a session, creates the model and
   * waits until it is ready.
   *
   * @throws LearnerError in one line: the server does not answer (its URL, the cause, what to do), does not serve
   *   the base model, or failed to create the model.
   */
  static async connect(options: TinkerLearnerOptions): Promise<TinkerLearner> {
    checkOptions(options);
    const retries = options.retries ?? 3;
    const http = httpOf(options);
    const polling: FuturePolling = {
      pollDelayMs: options.pollDelayMs ?? 50,
      maxPollDelayMs: 1_000,
      futureTimeoutMs: options.futureTimeoutMs ?? 2 * 3600_000,
      retries,
    };
    const capabilities = await checkServer(http, options.baseModel);
    // Not repeated: a second create_session would leave an orphan session behind.
    const session = await http.call(
      "POST",
      `${API_PREFIX}/create_session`,
      {
        tags: options.tags ?? ["hdpo"],
        user_metadata: null,
        sdk_version: TINKER_CLIENT_SDK_VERSION,
        type: "create_session",
      },
      CreateSessionSchema,
      { what: "connect", idempotent: false },
    );
    const learner = new TinkerLearner(
      http,
      session.session_id,
      {
        loraRank: options.loraRank,
        loraSeed: options.loraSeed,
        maxExportBytes: options.maxExportBytes ?? 256 * 2 ** 30,
        oneFullParameterModel: options.loraRank === 0 && capabilities.hdpo === undefined,
      },
      polling,
      {
        kind: "tinker",
        baseModel: options.baseModel,
        protocol: TINKER_PROTOCOL_VERSION,
        capabilities: learnerCapabilities(capabilities),
      },
    );
    if (options.heartbeat ?? true) learner.startHeartbeat();
    try {
      learner.model = await learner.createModel("connect");
      if (capabilities.hdpo === undefined) await learner.refuseJaxBackend();
    } catch (error) {
      // Frees the model when it was created (best effort), and stops the heartbeat.
      await learner.close();
      throw error;
    }
    return learner;
  }

  /**
   * HDPO's custom-loss route needs losses summed over tokens. SkyRL's jax backend divides each sequence's loss by the
   * sum of its weights (spec §3.2), which would silently rescale every datum's gradient. Its `forward` is what tells
   * it apart: jax runs the loss and answers `elementwise_loss` with the log-probs, fsdp/megatron answer the log-probs
   * alone (spec §2.9). One forward on a two-token probe, before anything is trained.
   *
   * @throws LearnerError in one line on a jax server.
   */
  private async refuseJaxBackend(): Promise<void> {
    const what = "connect";
    const model = this.requireModel(what);
    const wire = toWireData(
      [{ modelInput: [{ type: "encoded_text", tokens: [0] }], targetTokens: [0] }],
      what,
    );
    const result = await this.pass(model, "forward", what, wire);
    if (result.loss_fn_outputs.some((output) => output.elementwise_loss !== undefined)) {
      throw new LearnerError(
        `${what}: the Tinker server runs SkyRL's jax backend (its forward answers elementwise_loss), which divides ` +
          "each sequence's loss by the sum of its weights; HDPO's custom-loss route needs summed losses: start the " +
          "server with --backend fsdp or --backend megatron.",
      );
    }
  }

  /**
   * The checks `connect` starts with, alone: the server answers and serves `baseModel`. Nothing is created on the
   * server, so a run can ask before spending minutes on anything else.
   *
   * @throws LearnerError in one line, as `connect`.
   */
  static async check(options: TinkerLearnerOptions): Promise<void> {
    checkOptions(options);
    await checkServer(httpOf(options), options.baseModel);
  }

  /** The server's id of the model being trained (it changes when a state is loaded). */
  get modelId(): string | undefined {
    return this.model?.id;
  }

  async forward(
    data: readonly LearnerDatum[],
    options: LearnerPassOptions = {},
  ): Promise<LearnerForwardOutput> {
    const what = "forward";
    const model = this.requireModel(what);
    checkTemperature(this.info.capabilities, options.temperature, what);
    const wire = toWireData(data, what);
    // The parts' POSTs are queued in order at once; their futures are then awaited together.
    const parts = await Promise.all(
      splitWireData(wire).map(async (part) => {
        const result = await this.pass(model, "forward", what, part);
        return logProbsOf(result, part, what);
      }),
    );
    return { logProbs: parts.flat() };
  }

  async forwardBackward(
    data: readonly LearnerDatum[],
    options: LearnerPassOptions = {},
  ): Promise<LearnerForwardBackwardOutput> {
    const what = "forwardBackward";
    const model = this.requireModel(what);
    checkTemperature(this.info.capabilities, options.temperature, what);
    const wire = toWireData(data, what);
    const parts = await Promise.all(
      splitWireData(wire).map(async (part) => {
        const result = await this.pass(model, "forward_backward", what, part);
        const logProbs = logProbsOf(result, part, what);
        // SkyRL reports Σ −w·logp as total_loss:sum; jax and hosted servers may not, and then it is that sum here.
        const loss =
          result.metrics?.["total_loss:sum"] ??
          logProbs.reduce(
            (sum, row, i) => sum + row.reduce((s, lp, t) => s - part.weights[i]![t]! * lp, 0),
            0,
          );
        return { logProbs, loss };
      }),
    );
    return {
      logProbs: parts.flatMap((part) => part.logProbs),
      loss: parts.reduce((sum, part) => sum + part.loss, 0),
    };
  }

  async optimStep(params: LearnerAdamParams): Promise<LearnerOptimStepOutput> {
    const what = "optimStep";
    const model = this.requireModel(what);
    checkAdamParams(params);
    const result = await this.trainingRequest(model, "optim_step", what, OptimStepResultSchema, (seq) => ({
      model_id: model.id,
      seq_id: seq,
      adam_params: {
        learning_rate: params.learningRate,
        beta1: params.beta1,
        beta2: params.beta2,
        eps: params.eps,
        weight_decay: params.weightDecay,
        // The hosted SDK's field; SkyRL drops it and clips at its own max_grad_norm (capabilities say so).
        grad_clip_norm: params.gradClipNorm,
      },
    }));
    const metrics = result.metrics ?? {};
    return {
      gradNorm: metrics["skyrl.ai/grad_norm"] ?? Number.NaN,
      learningRate: metrics["skyrl.ai/learning_rate"] ?? params.learningRate,
    };
  }

  /** Saves weights and optimizer state on the server; resolves to `tinker://<model>/weights/<name>`. */
  async saveState(name: string): Promise<string> {
    const what = "saveState";
    const model = this.requireModel(what);
    checkName(name, what);
    // Not repeated on a lost answer: a second save under the same name is a 409.
    const result = await this.modelRequest(
      model,
      "save_weights",
      () => ({ model_id: model.id, path: name, type: "save_weights" }),
      SaveWeightsResultSchema,
      { what, idempotent: false },
    );
    if (!result.path.startsWith("tinker://") || !result.path.endsWith(`/weights/${name}`)) {
      throw new LearnerError(
        `${what}: the server saved ${JSON.stringify(result.path)}, not a tinker://…/weights/${name} path; the ` +
          "server does not follow the protocol.",
      );
    }
    return result.path;
  }

  /**
   * Restores a state saved by {@link saveState}. `load_weights` is only allowed as a model's first request, so the
   * state is loaded into a fresh model of the same session, which then replaces the current one. On SkyRL a
   * full-parameter model is unloaded first (after `weights_info` confirmed the state exists), since it holds one
   * full-parameter model at a time (spec §2.6); servers advertising the `hdpo` extension hold several.
   */
  async loadState(path: string, options: { weightsOnly?: boolean } = {}): Promise<void> {
    const what = "loadState";
    const old = this.requireModel(what);
    if (
      typeof path !== "string" ||
      !path.startsWith("tinker://") ||
      !path.includes("/weights/") ||
      path.length > 4096
    ) {
      throw new LearnerError(
        `${what}: ${JSON.stringify(path)} is not a training state path; pass what saveState returned ` +
          "(tinker://<model>/weights/<name>).",
      );
    }
    const unloadFirst = this.options.oneFullParameterModel;
    if (unloadFirst) {
      // The old model goes before the new one exists: make sure the state is there before giving it up.
      await this.http.call("POST", `${API_PREFIX}/weights_info`, { tinker_path: path }, z.unknown(), {
        what,
        idempotent: true,
      });
      await this.unload(old, true);
      this.model = undefined;
    }
    const fresh = await this.createModel(what);
    try {
      await this.modelRequest(
        fresh,
        "load_weights",
        () => ({
          model_id: fresh.id,
          path,
          optimizer: options.weightsOnly !== true,
          seq_id: ++fresh.seq,
          type: "load_weights",
        }),
        LoadWeightsResultSchema,
        { what, idempotent: false },
      );
    } catch (error) {
      await this.unload(fresh, false).catch(() => undefined);
      throw error;
    }
    this.model = fresh;
    if (!unloadFirst) await this.unload(old, false).catch(() => undefined);
  }

  /** Pushes the current weights to the server's sampler (ephemeral sampler weights) and returns a sampler on them. */
  async samplerForCurrentWeights(): Promise<LearnerSampler> {
    const what = "samplerForCurrentWeights";
    const model = this.requireModel(what);
    // Not repeated: the checkpoint id derives from the two sequence numbers, and a second push of it is a 409.
    // Sampling before its future is done would be refused (425): the weights are not there yet.
    const result = await this.modelRequest(
      model,
      "save_weights_for_sampler",
      () => ({
        model_id: model.id,
        sampling_session_seq_id: this.samplingSessionSeq++,
        seq_id: ++model.seq,
        type: "save_weights_for_sampler",
      }),
      SaveForSamplerResultSchema,
      { what, idempotent: false },
    );
    if (typeof result.sampling_session_id !== "string") {
      throw new LearnerError(
        `${what}: the server pushed the weights but returned no sampling_session_id; it does not follow the protocol.`,
      );
    }
    return new TinkerSampler(this.http, result.sampling_session_id, this.polling);
  }

  /**
   * Saves the current weights for the sampler under a new name (the persistent mode, which writes a Hugging Face
   * checkpoint on the server), downloads its archive and unpacks it into `directory`.
   */
  async exportWeights(directory: string): Promise<void> {
    const what = "exportWeights";
    const model = this.requireModel(what);
    const name = `hdpo_export_${Date.now().toString(36)}_${this.exportCount++}`;
    const result = await this.modelRequest(
      model,
      "save_weights_for_sampler",
      () => ({ model_id: model.id, path: name, type: "save_weights_for_sampler" }),
      SaveForSamplerResultSchema,
      { what, idempotent: false },
    );
    if (typeof result.path !== "string" || !result.path.endsWith(`/${name}`)) {
      throw new LearnerError(
        `${what}: the server saved ${JSON.stringify(result.path)} for sampler checkpoint ${name}; it does not ` +
          "follow the protocol.",
      );
    }
    const route = `${API_PREFIX}/training_runs/${encodeURIComponent(model.id)}/checkpoints/${name}/archive`;
    const body = await downloadArchive(this.http, route, what);
    await extractTarInto(
      body,
      directory,
      { maxBytes: this.options.maxExportBytes, maxEntries: MAX_EXPORT_ENTRIES },
      what,
    );
  }

  /** Stops the heartbeat and unloads the model (best effort: a server that is gone has nothing to free). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeat();
    const model = this.model;
    this.model = undefined;
    if (model !== undefined) await this.unload(model, false).catch(() => undefined);
  }

  /** One `cross_entropy` pass over `wire`'s data (the weights carry any loss): a forward or a forward_backward. */
  private pass(
    model: ModelHandle,
    route: "forward" | "forward_backward",
    what: string,
    wire: WireData,
  ): Promise<ForwardResult> {
    const input = { data: wire.data, loss_fn: "cross_entropy", loss_fn_config: null };
    return this.trainingRequest(model, route, what, ForwardResultSchema, (seq) => ({
      model_id: model.id,
      seq_id: seq,
      ...(route === "forward" ? { forward_input: input } : { forward_backward_input: input }),
    }));
  }

  /**
   * A forward / forward_backward / optim_step: sent in the model's order with the next `seq_id`, then waited for.
   * The server deduplicates these by (model, seq_id) and answers a repeat with the original request id, so a
   * retry after a lost answer is safe and the body (seq_id included) is resent unchanged.
   */
  private async trainingRequest<S extends z.ZodType>(
    model: ModelHandle,
    route: "forward" | "forward_backward" | "optim_step",
    what: string,
    schema: S,
    body: (seq: number) => object,
  ): Promise<z.infer<S>> {
    return this.modelRequest(model, route, () => body(++model.seq), schema, { what, idempotent: true });
  }

  /**
   * POSTs to `route` in the model's order, then waits for the future outside the queue. `body` is built when the
   * POST's turn comes, so the sequence numbers it takes follow the order the POSTs go out.
   */
  private async modelRequest<S extends z.ZodType>(
    model: ModelHandle,
    route: string,
    body: () => object,
    schema: S,
    spec: RequestSpec,
  ): Promise<z.infer<S>> {
    const future = await model.queue.run(() =>
      this.http.call("POST", `${API_PREFIX}/${route}`, body(), FutureResponseSchema, spec),
    );
    return retrieveFuture(this.http, future.request_id, schema, spec.what, this.polling);
  }

  /** Creates a model in the session and waits for it (nothing else may be sent for it before). */
  private async createModel(what: string): Promise<ModelHandle> {
    const created = await this.http.call(
      "POST",
      `${API_PREFIX}/create_model`,
      {
        session_id: this.sessionId,
        base_model: this.info.baseModel,
        lora_config: { rank: this.options.loraRank, seed: this.options.loraSeed ?? null },
        type: "create_model",
      },
      CreateModelSchema,
      // Not repeated: a second create_model would build a second model.
      { what, idempotent: false },
    );
    const ready = await retrieveFuture(
      this.http,
      created.request_id,
      CreateModelResultSchema,
      what,
      this.polling,
    );
    if (ready.model_id !== created.model_id) {
      throw new LearnerError(
        `${what}: create_model answered model ${created.model_id} but its future ${ready.model_id}; the server is broken.`,
      );
    }
    return { id: created.model_id, seq: 0, queue: new PostQueue() };
  }

  /** Unloads a model after its queued requests; `wait` also waits until the server freed it. */
  private async unload(model: ModelHandle, wait: boolean): Promise<void> {
    const what = "unload";
    const answer = await model.queue.run(() =>
      this.http.call(
        "POST",
        `${API_PREFIX}/unload_model`,
        { model_id: model.id, type: "unload_model" },
        FutureResponseSchema,
        { what, idempotent: false },
      ),
    );
    if (wait) await retrieveFuture(this.http, answer.request_id, z.unknown(), what, this.polling);
  }

  private requireModel(what: string): ModelHandle {
    if (this.closed) throw new LearnerError(`${what}: the learner is closed; connect a new one.`);
    if (this.lostSession !== undefined) {
      throw new LearnerError(
        `${what}: the server no longer knows session ${this.sessionId} (${this.lostSession}); it expired or the ` +
          "server restarted; connect again and load the last saved state.",
      );
    }
    if (this.model === undefined) {
      throw new LearnerError(
        `${what}: the learner has no model (an earlier loadState failed); load a state again.`,
      );
    }
    return this.model;
  }

  private startHeartbeat(): void {
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    // A heartbeat alone must not keep the process alive.
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** One heartbeat; a 404 means the session is gone (later calls say so), anything else is retried next tick. */
  private async heartbeat(): Promise<void> {
    if (this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    try {
      const answer = await this.http.send(
        "POST",
        `${API_PREFIX}/session_heartbeat`,
        { session_id: this.sessionId, type: "session_heartbeat" },
        { what: "heartbeat", idempotent: true },
      );
      if (answer.status === 404) this.lostSession = `heartbeat answered 404: ${errorDetail(answer.body)}`;
    } catch {
      // The server is unreachable right now; the next tick tries again and real calls report the outage.
    } finally {
      this.heartbeatInFlight = false;
    }
  }
}

function httpOf(options: TinkerLearnerOptions): TinkerHttp {
  return new TinkerHttp({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey ?? process.env.TINKER_API_KEY ?? "tml-dummy",
    fetch: options.fetch ?? globalThis.fetch,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 250,
    maxRetryDelayMs: 8_000,
    maxResponseBytes: options.maxResponseBytes ?? 2 ** 30,
  });
}

/** healthz, then the base model among those the server serves. @returns the server's capabilities. */
async function checkServer(http: TinkerHttp, baseModel: string): Promise<ServerCapabilities> {
  await checkHealth(http);
  const capabilities = await http.call(
    "GET",
    `${API_PREFIX}/get_server_capabilities`,
    undefined,
    CapabilitiesSchema,
    { what: "connect", idempotent: true },
  );
  checkBaseModel(capabilities, baseModel, http.baseUrl);
  return capabilities;
}

/** GET healthz. @throws LearnerError in one line: the URL, why it failed, what to do. */
async function checkHealth(http: TinkerHttp): Promise<void> {
  const url = http.url(`${API_PREFIX}/healthz`);
  let answer: { status: number; body: unknown };
  try {
    answer = await http.send("GET", `${API_PREFIX}/healthz`, undefined, {
      what: "connect",
      idempotent: true,
    });
  } catch (error) {
    if (!(error instanceof NoAnswerError)) throw error;
    throw new LearnerError(
      `connect: no Tinker server answers at ${url} (${error.reason}); start one ` +
        "(e.g. `pnpm learner --port PORT --checkpoint DIR`) or fix the URL.",
    );
  }
  if (answer.status !== 200 || !HealthSchema.safeParse(answer.body).success) {
    throw new LearnerError(
      `connect: ${url} answered HTTP ${answer.status} (${errorDetail(answer.body)}), not a Tinker server's ` +
        "healthz; check baseUrl (the server's root, without /api/v1).",
    );
  }
}

/** Per datum, the `logprobs` output, one per target position. */
function logProbsOf(result: ForwardResult, wire: WireData, what: string): number[][] {
  const outputs = result.loss_fn_outputs;
  if (outputs.length !== wire.data.length) {
    throw new LearnerError(
      `${what}: sent ${wire.data.length} data, the server returned ${outputs.length} outputs; the server is broken.`,
    );
  }
  return outputs.map((output, i) => {
    const values = output.logprobs?.data;
    const expected = wire.weights[i]!.length;
    if (values === undefined || values.length !== expected) {
      throw new LearnerError(
        `${what}: datum ${i} has ${expected} targets but the server returned ` +
          `${values === undefined ? "no" : values.length} log-probs; the server does not follow the protocol.`,
      );
    }
    return values;
  });
}

function checkOptions(options: TinkerLearnerOptions): void {
  const fail = (message: string): never => {
    throw new LearnerError(`connect: ${message}`);
  };
  let url: URL | undefined;
  try {
    url = new URL(options.baseUrl);
  } catch {
    fail(
      `baseUrl ${JSON.stringify(options.baseUrl)} is not a URL; pass the server's root, e.g. http://127.0.0.1:8000.`,
    );
  }
  if (url!.protocol !== "http:" && url!.protocol !== "https:")
    fail(`baseUrl must be http or https, got ${url!.protocol}`);
  if (typeof options.baseModel !== "string" || options.baseModel.length === 0) fail("baseModel is required.");
  if (!Number.isInteger(options.loraRank) || options.loraRank < 0) {
    fail(`loraRank must be an integer ≥ 0 (0: full parameter), got ${options.loraRank}.`);
  }
  if (options.loraSeed !== undefined && !Number.isSafeInteger(options.loraSeed)) {
    fail(`loraSeed must be an integer, got ${options.loraSeed}.`);
  }
  const positive: (keyof TinkerLearnerOptions)[] = [
    "requestTimeoutMs",
    "futureTimeoutMs",
    "maxResponseBytes",
    "maxExportBytes",
  ];
  for (const key of positive) {
    const value = options[key];
    if (value !== undefined && !(typeof value === "number" && value > 0))
      fail(`${key} must be > 0, got ${value}.`);
  }
  for (const key of ["retries", "retryDelayMs", "pollDelayMs"] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      fail(`${key} must be an integer ≥ 0, got ${value}.`);
  }
}

function checkName(name: string, what: string): void {
  if (typeof name !== "string" || !isStateName(name)) {
    throw new LearnerError(
      `${what}: the name ${JSON.stringify(name)} must be 1 to 255 letters, digits, "_" or "-" (the server's rule).`,
    );
  }
}
