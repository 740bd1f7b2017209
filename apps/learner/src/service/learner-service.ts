import { randomBytes, randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { describeError, HttpError } from "@hdpo/http";
import type { z } from "zod";
import type {
  AdamParams,
  CreateModelRequest,
  CreateSamplingSessionRequest,
  CreateSessionRequest,
  ForwardBackwardInputValue,
  LoadWeightsRequest,
  SampleRequestValue,
  SaveWeightsForSamplerRequest,
  SaveWeightsRequest,
} from "../api/schemas";
import { LearnerServerError } from "../learner-server-error";
import type { BaseModel } from "./base-model";
import { payloadHash } from "./canonical-json";
import { CheckpointBook, checkpointInfo } from "./checkpoint-book";
import { type FutureKind, FutureLog, type LoggedFuture } from "./future-log";
import { type FutureOutcome, FutureTable } from "./future-table";
import {
  type PreparedPass,
  preparePass,
  runForward,
  runForwardBackward,
  runSample,
  SUPPORTED_LOSS_FUNCTIONS,
} from "./model-jobs";
import { ModelSlot } from "./model-slot";
import {
  type CheckpointRecord,
  type ModelRecord,
  type RegistryFile,
  RegistryWriter,
  readRegistry,
  type SamplingSessionRecord,
  type SessionRecord,
} from "./registry";
import { applyRestartRules, type SeqIdUse } from "./restart-rules";
import { prepareSample } from "./sample-request";
import { SamplerCache } from "./sampler-cache";
import { SerialLane } from "./serial-lane";
import { lockStateDirectory, StateLayout } from "./state-dir";
import { checkpointPath, parseTinkerPath } from "./tinker-path";

/** Options of {@link LearnerService.open}. */
export interface LearnerServiceOptions {
  base: BaseModel;
  /** Everything needed to continue after a restart lives here. */
  stateDir: string;
  /** forward/forward_backward log-probs are those of softmax(logits / temperature). Default 1. */
  temperature?: number;
  /** Models held at once; create_model beyond fails its future. Default 32. */
  maxModels?: number;
  /**
   * A session whose last heartbeat is older than this has its models unloaded (spec §2.5; a session that never sent
   * one never expires). Default 300 s; `Infinity` turns expiry off.
   */
  sessionTimeoutMs?: number;
  /** Finished results kept for retrieve_future, newest first. Default 256 MiB. */
  maxResultBytes?: number;
  /** Ephemeral sampler weights kept per model (older ones are released). Default 2. */
  maxEphemeralSamplers?: number;
  /** Persistent sampler checkpoints kept loaded. Default 4. */
  maxLoadedSamplers?: number;
  /** Where warnings go (one line each). Default stderr. */
  log?: (line: string) => void;
  /**
   * Awaited before each queued job (a seam for tests, which hold jobs back to observe pending futures and
   * checkpoints). Default none.
   */
  beforeJob?: (kind: FutureKind, modelId: string | null) => Promise<void>;
}

/** A future's acknowledgement (most asynchronous routes). */
export interface FutureResponse {
  future_id: string;
  status: "pending";
  request_id: string;
}

interface SessionState {
  record: SessionRecord;
  /** ms of the last heartbeat; undefined = never expires (no heartbeat since creation, restart or expiry). */
  lastHeartbeat: number | undefined;
  /** The session has sent heartbeats (so after a restart its clock restarts rather than stopping). */
  heartbeats: boolean;
}

interface ModelState {
  record: ModelRecord;
  lane: SerialLane;
  slot: ModelSlot | undefined;
  /** `(model_id, seq_id)` deduplication: the original request of each sequence number. */
  seqIds: Map<number, SeqIdUse>;
  requestCount: number;
}

type Infer<T extends z.ZodType> = z.output<T>;

const DEFAULT_SESSION_TIMEOUT_MS = 300_000;

/**
 * hdpo-learner's state machine behind the HTTP routes: sessions, models (each its own TfjsLearner on its own copy of
 * the base weights, requests run strictly in arrival order per model), futures, checkpoints and sampling sessions,
 * with everything needed to continue kept in the state directory. Route methods validate synchronously, queue the
 * work and answer at once; they throw HttpError with the spec's status codes.
 */
export class LearnerService {
  readonly base: BaseModel;
  readonly temperature: number;
  private readonly layout: StateLayout;
  private readonly sessions = new Map<string, SessionState>();
  private readonly models = new Map<string, ModelState>();
  private readonly checkpoints = new CheckpointBook();
  private readonly samplingSessions = new Map<string, SamplingSessionRecord>();
  /**
   * Sampling sessions made by ephemeral save_weights_for_sampler: like their weights they live in memory only, so an
   * RL loop that pushes weights every step does not grow the registry by a record per step.
   */
  private readonly ephemeralSamplingSessions = new Set<string>();
  /** The directory had a registry when this server started. */
  private restarted = false;
  private readonly baseLane = new SerialLane();
  private readonly samplers: SamplerCache;
  private readonly registry: RegistryWriter;
  private readonly maxModels: number;
  private readonly sessionTimeoutMs: number;
  private readonly maxEphemeralSamplers: number;
  private readonly log: (line: string) => void;
  private readonly beforeJob: LearnerServiceOptions["beforeJob"];
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    options: LearnerServiceOptions,
    private readonly futures: FutureTable,
    private readonly futureLog: FutureLog,
    private readonly unlock: () => Promise<void>,
  ) {
    this.base = options.base;
    this.temperature = options.temperature ?? 1;
    this.layout = new StateLayout(options.stateDir);
    this.maxModels = options.maxModels ?? 32;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.maxEphemeralSamplers = options.maxEphemeralSamplers ?? 2;
    this.samplers = new SamplerCache(options.maxLoadedSamplers ?? 4);
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.beforeJob = options.beforeJob;
    this.registry = new RegistryWriter(
      this.layout.registry,
      () => this.registryFile(),
      (message) => this.log(`hdpo-learner: WARNING: ${message}`),
    );
  }

  /**
   * Opens (or creates) the state directory and restores what it remembers: sessions, models (their weights come back
   * from their last save_weights or load_weights, lazily on their next request), checkpoints and futures. Futures
   * that were pending fail with a "restarted before this request ran" error, and finished training requests whose
   * effect on the weights was lost (after the restore point) fail saying so.
   */
  static async open(options: LearnerServiceOptions): Promise<LearnerService> {
    checkOptions(options);
    const layout = new StateLayout(options.stateDir);
    const unlock = await lockStateDirectory(layout);
    try {
      const registry = readRegistry(layout.registry);
      if (registry !== undefined) checkSameBase(registry, options.base, layout.registry);
      const { log, futures: logged, skippedLines } = await FutureLog.open(layout.futures);
      const table = new FutureTable(log, options.maxResultBytes ?? 256 * 2 ** 20);
      const service = new LearnerService(options, table, log, unlock);
      if (skippedLines > 0) {
        service.log(`hdpo-learner: WARNING: skipped ${skippedLines} unreadable lines of ${layout.futures}`);
      }
      await service.restore(registry, logged);
      service.startSweeper();
      return service;
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  // --- sessions -------------------------------------------------------------------------------------------------

  async createSession(request: Infer<typeof CreateSessionRequest>) {
    const id = uniqueId("session", this.sessions);
    this.sessions.set(id, {
      record: {
        id,
        tags: request.tags,
        userMetadata: request.user_metadata ?? null,
        sdkVersion: request.sdk_version,
        createdAt: now(),
      },
      lastHeartbeat: undefined,
      heartbeats: false,
    });
    await this.registry.persist();
    return {
      type: "create_session",
      info_message: null,
      warning_message: null,
      error_message: null,
      session_id: id,
    };
  }

  heartbeat(sessionId: string) {
    const session = this.session(sessionId);
    session.lastHeartbeat = Date.now();
    if (!session.heartbeats) {
      session.heartbeats = true;
      void this.registry.persist();
    }
    return { type: "session_heartbeat" };
  }

  // --- models ---------------------------------------------------------------------------------------------------

  async createModel(request: Infer<typeof CreateModelRequest>) {
    this.session(request.session_id);
    const id = uniqueId("model", this.models);
    const futureId = this.futures.create("create_model", id);
    const seed = request.lora_config.seed ?? randomInt(0, 2 ** 31 - 1);
    const record: ModelRecord = {
      id,
      sessionId: request.session_id,
      baseModel: request.base_model,
      loraRank: request.lora_config.rank,
      loraSeed: seed,
      modelRole: request.model_role,
      createdAt: now(),
      createFutureId: futureId,
      status: "created",
      hadRequests: false,
      restore: null,
      dirty: false,
    };
    const loaded = [...this.models.values()].filter((m) => m.record.status !== "unloaded").length;
    const refusal =
      loaded >= this.maxModels
        ? `This server holds at most ${this.maxModels} models at once (--max-models) and holds ${loaded}; unload_model one you no longer need, or restart the server with a higher --max-models.`
        : request.model_role !== "policy"
          ? `model_role '${request.model_role}' is not supported by hdpo-learner; create a "policy" model.`
          : request.base_model !== this.base.name
            ? `base_model '${request.base_model}' is not served here; this server trains '${this.base.name}' (see get_server_capabilities).`
            : undefined;
    const model: ModelState = {
      record,
      lane: new SerialLane(),
      slot: undefined,
      seqIds: new Map(),
      requestCount: 0,
    };
    this.models.set(id, model);
    if (refusal !== undefined) {
      record.status = "unloaded";
      record.unloadReason = refusal;
      this.futures.fail(futureId, refusal);
    } else {
      this.enqueueModelJob(model, futureId, "create_model", async () =>
        JSON.stringify({
          model_id: id,
          base_model: request.base_model,
          lora_config: {
            rank: request.lora_config.rank,
            alpha: 32.0,
            seed,
            train_attn: true,
            train_mlp: true,
            train_unembed: false,
          },
        }),
      );
    }
    await this.registry.persist();
    return {
      model_id: id,
      base_model: request.base_model,
      lora_config: { rank: request.lora_config.rank, seed: request.lora_config.seed },
      status: "created",
      request_id: String(futureId),
    };
  }

  getInfo(modelId: string) {
    const { record } = this.model(modelId);
    return {
      model_id: record.id,
      status: record.status,
      model_data: {
        base_model: record.baseModel,
        lora_config: { rank: record.loraRank, seed: null },
        model_name: record.baseModel,
      },
    };
  }

  unloadModel(modelId: string) {
    const model = this.model(modelId);
    this.countRequest(model);
    if (model.record.status !== "unloaded") model.record.status = "unloading";
    const futureId = this.futures.create("unload_model", modelId);
    void this.registry.persist();
    model.lane.run(async () => {
      await this.beforeJob?.("unload_model", modelId);
      await this.unloadNow(model, "Model was unloaded by unload_model; create a new model.");
      this.futures.complete(
        futureId,
        JSON.stringify({ model_id: modelId, status: "unloaded", type: "unload_model" }),
      );
    });
    return { request_id: String(futureId), model_id: modelId };
  }

  // --- training -------------------------------------------------------------------------------------------------

  forward(modelId: string, input: ForwardBackwardInputValue, seqId: number | null): FutureResponse {
    return this.submitTraining("forward", modelId, seqId, input, () => {
      const pass = preparePass(input, true);
      return (slot) => runForward(slot.learner, pass, this.temperature);
    });
  }

  forwardBackward(modelId: string, input: ForwardBackwardInputValue, seqId: number | null): FutureResponse {
    return this.submitTraining("forward_backward", modelId, seqId, input, () => {
      const pass: PreparedPass = preparePass(input, false);
      return (slot) => runForwardBackward(slot.learner, pass, this.temperature);
    });
  }

  optimStep(modelId: string, params: Infer<typeof AdamParams>, seqId: number | null): FutureResponse {
    return this.submitTraining("optim_step", modelId, seqId, params, () => async (slot, model) => {
      const out = await slot.learner.optimStep({
        learningRate: params.learning_rate,
        beta1: params.beta1,
        beta2: params.beta2,
        eps: params.eps,
        weightDecay: params.weight_decay,
        gradClipNorm: params.grad_clip_norm,
      });
      if (!model.record.dirty) {
        // On disk before the step is reported: a restart must know these weights left the restore point.
        model.record.dirty = true;
        await this.registry.persist();
      }
      return JSON.stringify({
        metrics: { "skyrl.ai/grad_norm": out.gradNorm, "skyrl.ai/learning_rate": out.learningRate },
      });
    });
  }

  async saveWeights(request: Infer<typeof SaveWeightsRequest>): Promise<FutureResponse> {
    const model = this.model(request.model_id);
    const name = request.path;
    this.checkpoints.refuseTaken(model.record.id, "training", name);
    this.countRequest(model);
    const futureId = this.futures.create("save_weights", model.record.id);
    const checkpoint = this.checkpoints.add(model.record.id, "training", name, false, futureId);
    this.enqueueModelJob(
      model,
      futureId,
      "save_weights",
      async (slot) => {
        await slot.learner.saveState(name);
        checkpoint.status = "completed";
        checkpoint.completedAt = now();
        model.record.restore = { modelId: model.record.id, checkpoint: name, weightsOnly: false, futureId };
        model.record.dirty = false;
        await this.registry.persist();
        return JSON.stringify({
          path: checkpointPath(model.record.id, "training", name),
          type: "save_weights",
        });
      },
      (message) => this.failCheckpoint(checkpoint, message),
    );
    await this.registry.persist();
    return futureResponse(futureId);
  }

  async saveWeightsForSampler(request: Infer<typeof SaveWeightsForSamplerRequest>): Promise<FutureResponse> {
    const model = this.model(request.model_id);
    const modelId = model.record.id;
    const name = request.path ?? `ss${request.sampling_session_seq_id}_seq${request.seq_id}`;
    this.checkpoints.refuseTaken(modelId, "sampler", name);
    const ephemeral = request.sampling_session_seq_id !== null;
    // Ephemeral pushes are the RL hot loop: nothing of them survives a restart, so nothing is written for them.
    const persist = () => (ephemeral ? Promise.resolve() : this.registry.persist());
    let samplingSessionId: string | null = null;
    if (request.sampling_session_seq_id !== null && request.seq_id !== null) {
      samplingSessionId = uniqueId("sampling", this.samplingSessions);
      if (ephemeral) this.ephemeralSamplingSessions.add(samplingSessionId);
      this.samplingSessions.set(samplingSessionId, {
        id: samplingSessionId,
        sessionId: model.record.sessionId,
        seqId: request.sampling_session_seq_id,
        baseModel: null,
        modelPath: checkpointPath(modelId, "sampler", name),
        createdAt: now(),
      });
    }
    this.countRequest(model);
    const futureId = this.futures.create("save_weights_for_sampler", modelId);
    const checkpoint = this.checkpoints.add(modelId, "sampler", name, ephemeral, futureId);
    this.enqueueModelJob(
      model,
      futureId,
      "save_weights_for_sampler",
      async (slot) => {
        if (ephemeral) {
          slot.pinSamplerWeights(name);
        } else {
          const target = this.layout.samplerWeights(modelId, name);
          const temp = `${target}.${process.pid}.tmp`;
          await mkdir(dirname(target), { recursive: true });
          await rm(temp, { recursive: true, force: true });
          await slot.learner.exportWeights(temp);
          await rm(target, { recursive: true, force: true });
          await rename(temp, target);
        }
        checkpoint.status = "completed";
        checkpoint.completedAt = now();
        await persist();
        return JSON.stringify({
          path:
            request.sampling_session_seq_id !== null && request.seq_id !== null
              ? null
              : `tinker://${modelId}/${name}`,
          type: "save_weights_for_sampler",
          sampling_session_id: samplingSessionId,
        });
      },
      (message) => this.failCheckpoint(checkpoint, message),
    );
    await persist();
    return futureResponse(futureId);
  }

  loadWeights(request: Infer<typeof LoadWeightsRequest>): FutureResponse {
    const model = this.model(request.model_id);
    if (model.record.hadRequests) {
      const seqId = request.seq_id ?? Math.max(model.requestCount, 1) + 1;
      throw new HttpError(400, `LoadWeights is not permitted with seq_id ${seqId}`);
    }
    const path = parseTinkerPath(request.path);
    if (path === undefined || path.kind !== "weights" || !path.primaryId || !path.secondaryId) {
      throw new HttpError(
        400,
        "request.path must be in format tinker://source_model_id/weights/checkpoint_id",
      );
    }
    this.checkpoints.ready(path.primaryId, "training", path.secondaryId);
    this.countRequest(model);
    const futureId = this.futures.create("load_weights", model.record.id);
    const source = { modelId: path.primaryId, checkpoint: path.secondaryId, weightsOnly: !request.optimizer };
    this.enqueueModelJob(model, futureId, "load_weights", async (slot) => {
      await slot.learner.loadState(this.layout.trainingState(source.modelId, source.checkpoint), {
        weightsOnly: source.weightsOnly,
      });
      model.record.restore = { ...source, futureId };
      model.record.dirty = false;
      await this.registry.persist();
      return JSON.stringify({ type: "load_weights" });
    });
    return futureResponse(futureId);
  }

  // --- sampling -------------------------------------------------------------------------------------------------

  async createSamplingSession(request: Infer<typeof CreateSamplingSessionRequest>) {
    this.session(request.session_id);
    if ((request.base_model === null) === (request.model_path === null)) {
      throw new HttpError(400, "Exactly one of base_model or model_path must be provided");
    }
    const id = uniqueId("sampling", this.samplingSessions);
    this.samplingSessions.set(id, {
      id,
      sessionId: request.session_id,
      seqId: request.sampling_session_seq_id,
      baseModel: request.base_model,
      modelPath: request.model_path,
      createdAt: now(),
    });
    await this.registry.persist();
    return { type: "create_sampling_session", sampling_session_id: id };
  }

  getSampler(samplerId: string) {
    const sampler = this.samplingSessions.get(samplerId);
    if (sampler === undefined) throw new HttpError(404, "Sampler not found");
    let baseModel = sampler.baseModel;
    if (baseModel === null) {
      const path = parseTinkerPath(sampler.modelPath ?? "");
      baseModel = path === undefined ? this.base.name : this.model(path.primaryId).record.baseModel;
    }
    return { sampler_id: sampler.id, base_model: baseModel, model_path: sampler.modelPath };
  }

  asample(request: SampleRequestValue): FutureResponse {
    if (request.sampling_session_id?.includes(":")) {
      throw new HttpError(400, "sampling_session_id must not contain ':' (the routing-key delimiter)");
    }
    let baseModel = request.base_model;
    let modelPath = request.model_path;
    if (request.sampling_session_id !== null) {
      const sampler = this.samplingSessions.get(request.sampling_session_id);
      if (sampler === undefined) {
        throw new HttpError(
          404,
          this.restarted
            ? "Sampling session not found (this server restarted: sampling sessions of ephemeral save_weights_for_sampler do not survive a restart; push the weights again)"
            : "Sampling session not found",
        );
      }
      baseModel = sampler.baseModel;
      modelPath = sampler.modelPath;
    }
    let source: { model: ModelState; checkpoint: CheckpointRecord } | undefined;
    if (!baseModel) {
      const path = parseTinkerPath(modelPath ?? "");
      if (
        path === undefined ||
        !["", "sampler_weights"].includes(path.kind) ||
        !path.primaryId ||
        !path.secondaryId
      ) {
        throw new HttpError(
          400,
          "model_path must be tinker://model_id/checkpoint_id or tinker://model_id/sampler_weights/checkpoint_id",
        );
      }
      const model = this.model(path.primaryId);
      source = { model, checkpoint: this.checkpoints.ready(path.primaryId, "sampler", path.secondaryId) };
    }
    const prepared = prepareSample(request);
    const modelId = source?.model.record.id ?? null;
    if (source !== undefined) this.countRequest(source.model);
    const futureId = this.futures.create("sample", modelId);
    const lane = source?.model.lane ?? this.baseLane;
    this.enqueueJob(lane, futureId, "sample", modelId, async () => {
      if (source === undefined) {
        if (baseModel !== this.base.name) {
          throw new LearnerServerError(
            `base_model '${baseModel}' is not served here; this server samples '${this.base.name}'.`,
          );
        }
        return runSample(this.base.model, this.base.tokenizer, prepared);
      }
      const { model, checkpoint } = source;
      if (checkpoint.status !== "completed") {
        throw new LearnerServerError(`Checkpoint creation failed: ${checkpoint.error ?? "unknown error"}`);
      }
      if (checkpoint.ephemeral) {
        const pinned = model.slot?.samplerWeights(checkpoint.name);
        if (pinned === undefined) {
          throw new LearnerServerError(
            `The sampler weights ${checkpointPath(model.record.id, "sampler", checkpoint.name)} are no longer held: this server ` +
              `keeps the ${this.maxEphemeralSamplers} newest ephemeral sampler weights per model (none across a restart or ` +
              "an unload). Call save_weights_for_sampler again, or save with a path to keep them on disk.",
          );
        }
        return runSample(pinned, this.base.tokenizer, prepared);
      }
      const loaded = await this.samplers.get(this.layout.samplerWeights(model.record.id, checkpoint.name));
      return runSample(loaded, this.base.tokenizer, prepared);
    });
    return futureResponse(futureId);
  }

  // --- futures --------------------------------------------------------------------------------------------------

  retrieveFuture(requestId: string, timeoutMs: number, signal?: AbortSignal): Promise<FutureOutcome> {
    return this.futures.wait(Number(requestId), timeoutMs, signal);
  }

  // --- checkpoints and runs -------------------------------------------------------------------------------------

  listTrainingRuns(limit: number, offset: number) {
    const all = [...this.models.values()];
    return {
      training_runs: all.slice(offset, offset + limit).map((model) => this.trainingRun(model)),
      cursor: { offset, limit, total_count: all.length },
    };
  }

  getTrainingRun(modelId: string) {
    return this.trainingRun(this.model(modelId));
  }

  /** Completed checkpoints of a model (an unknown id has none, as SkyRL answers). */
  listCheckpoints(modelId: string) {
    return {
      checkpoints: this.checkpoints.completed(modelId).map(checkpointInfo),
    };
  }

  /** The folder of a completed, persistent sampler checkpoint (for its archive). */
  samplerFolder(modelId: string, name: string): string {
    const checkpoint = this.checkpoints.ready(modelId, "sampler", name);
    if (checkpoint.ephemeral) {
      throw new HttpError(
        404,
        `Checkpoint ${modelId}/${name} holds ephemeral sampler weights (in memory only) and has no archive; call save_weights_for_sampler with a path to export them.`,
      );
    }
    return this.layout.samplerWeights(modelId, name);
  }

  weightsInfo(tinkerPath: string) {
    const path = parseTinkerPath(tinkerPath);
    if (path === undefined || path.kind !== "weights") {
      throw new HttpError(
        400,
        "Invalid tinker path format. Expected: tinker://model_id/weights/checkpoint_id",
      );
    }
    const model = this.model(path.primaryId);
    this.checkpoints.ready(path.primaryId, "training", path.secondaryId);
    return {
      base_model: model.record.baseModel,
      is_lora: model.record.loraRank > 0,
      lora_rank: model.record.loraRank,
    };
  }

  capabilities() {
    return {
      supported_models: [{ model_name: this.base.name }],
      // hdpo-learner's extensions, so a client can tell it from SkyRL: every Adam field is applied, grad_clip_norm is
      // honoured, and the temperature forward/forward_backward score at.
      hdpo: {
        adam_params: "all",
        grad_clip_norm: true,
        temperature: this.temperature,
        loss_fns: SUPPORTED_LOSS_FUNCTIONS,
        full_parameter: true,
      },
    };
  }

  // --- lifecycle ------------------------------------------------------------------------------------------------

  /**
   * Stops: the jobs already running finish (up to `graceMs`), queued ones are left pending (a restart fails them with
   * the "send it again" error), the registry is written, and memory is freed.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.futures.wakeAll();
    const lanes = [this.baseLane, ...[...this.models.values()].map((m) => m.lane)].map((lane) => lane.idle());
    await Promise.race([Promise.all(lanes), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    await this.registry.persist();
    this.futureLog.close();
    for (const model of this.models.values()) await model.slot?.dispose();
    this.samplers.clear();
    await this.unlock();
  }

  // --- internals ------------------------------------------------------------------------------------------------

  private session(sessionId: string): SessionState {
    const session = this.sessions.get(sessionId);
    if (session === undefined) throw new HttpError(404, "Session not found");
    return session;
  }

  private model(modelId: string): ModelState {
    const model = this.models.get(modelId);
    if (model === undefined) throw new HttpError(404, "Model not found");
    return model;
  }

  /** Counts a request of the model (load_weights is allowed only before the first). */
  private countRequest(model: ModelState): void {
    model.requestCount++;
    if (!model.record.hadRequests) {
      model.record.hadRequests = true;
      void this.registry.persist();
    }
  }

  private submitTraining(
    kind: "forward" | "forward_backward" | "optim_step",
    modelId: string,
    seqId: number | null,
    payload: unknown,
    prepare: () => (slot: ModelSlot, model: ModelState) => Promise<string>,
  ): FutureResponse {
    const model = this.model(modelId);
    let dedup: { seqId: number; hash: string } | undefined;
    if (seqId !== null) {
      const hash = payloadHash(payload);
      const seen = model.seqIds.get(seqId);
      if (seen !== undefined) {
        if (seen.kind === kind && seen.hash === hash) return futureResponse(seen.futureId);
        throw new HttpError(409, "Training request sequence number was reused");
      }
      dedup = { seqId, hash };
    }
    this.countRequest(model);
    const futureId = this.futures.create(kind, modelId, dedup);
    if (dedup !== undefined) model.seqIds.set(dedup.seqId, { kind, hash: dedup.hash, futureId });
    let work: (slot: ModelSlot, model: ModelState) => Promise<string>;
    try {
      work = prepare();
    } catch (error) {
      this.futures.fail(futureId, describeError(error));
      return futureResponse(futureId);
    }
    this.enqueueModelJob(model, futureId, kind, (slot) => work(slot, model));
    return futureResponse(futureId);
  }

  /** Queues a job that needs the model's weights in memory (restored first when a restart lost them). */
  private enqueueModelJob(
    model: ModelState,
    futureId: number,
    kind: FutureKind,
    work: (slot: ModelSlot) => Promise<string>,
    onError?: (message: string) => void,
  ): void {
    this.enqueueJob(
      model.lane,
      futureId,
      kind,
      model.record.id,
      async () => {
        if (model.record.status === "unloaded") {
          throw new LearnerServerError(
            model.record.unloadReason ?? `Model ${model.record.id} is unloaded; create a new model.`,
          );
        }
        return work(await this.slotOf(model));
      },
      onError,
    );
  }

  private enqueueJob(
    lane: SerialLane,
    futureId: number,
    kind: FutureKind,
    modelId: string | null,
    work: () => Promise<string>,
    onError?: (message: string) => void,
  ): void {
    void lane.run(async () => {
      try {
        await this.beforeJob?.(kind, modelId);
        this.futures.complete(futureId, await work());
      } catch (error) {
        const message = describeError(error);
        onError?.(message);
        this.futures.fail(futureId, message);
      }
    });
  }

  /** The model's weights in memory: a fresh copy of the base, then its restore point when it has one. */
  private async slotOf(model: ModelState): Promise<ModelSlot> {
    if (model.slot !== undefined) return model.slot;
    const slot = new ModelSlot(
      this.base,
      this.layout.trainingStates(model.record.id),
      this.maxEphemeralSamplers,
    );
    const restore = model.record.restore;
    if (restore !== null) {
      try {
        await slot.learner.loadState(this.layout.trainingState(restore.modelId, restore.checkpoint), {
          weightsOnly: restore.weightsOnly,
        });
      } catch (error) {
        await slot.dispose();
        const reason =
          `Model ${model.record.id} could not be restored from ${checkpointPath(restore.modelId, "training", restore.checkpoint)} ` +
          `after a restart (${describeError(error)}); create a new model and load_weights a checkpoint into it.`;
        await this.unloadNow(model, reason);
        throw new LearnerServerError(reason);
      }
    }
    model.slot = slot;
    return slot;
  }

  private async unloadNow(model: ModelState, reason: string): Promise<void> {
    const slot = model.slot;
    model.slot = undefined;
    await slot?.dispose();
    if (model.record.status !== "unloaded") {
      model.record.status = "unloaded";
      model.record.unloadReason = reason;
    }
    await this.registry.persist();
  }

  private failCheckpoint(checkpoint: CheckpointRecord, message: string): void {
    checkpoint.status = "failed";
    checkpoint.error = message;
    void this.registry.persist();
  }

  private trainingRun(model: ModelState) {
    const training = this.checkpoints.completed(model.record.id, "training").at(-1);
    const sampler = this.checkpoints.completed(model.record.id, "sampler").at(-1);
    return {
      training_run_id: model.record.id,
      base_model: model.record.baseModel,
      model_owner: "default",
      is_lora: model.record.loraRank > 0,
      corrupted: false,
      lora_rank: model.record.loraRank,
      last_request_time: model.record.createdAt,
      last_checkpoint: training === undefined ? null : checkpointInfo(training),
      last_sampler_checkpoint: sampler === undefined ? null : checkpointInfo(sampler),
      user_metadata: null,
    };
  }

  private startSweeper(): void {
    const timeout = this.sessionTimeoutMs;
    if (timeout === Number.POSITIVE_INFINITY) return;
    const every = Math.min(60_000, Math.max(100, Math.floor(timeout / 4)));
    this.sweeper = setInterval(() => this.expireSessions(timeout), every);
    this.sweeper.unref();
  }

  /** Unloads the models of every session whose last heartbeat is older than `timeout` (spec §2.5). */
  private expireSessions(timeout: number): void {
    const cutoff = Date.now() - timeout;
    for (const session of this.sessions.values()) {
      if (session.lastHeartbeat === undefined || session.lastHeartbeat >= cutoff) continue;
      session.lastHeartbeat = undefined;
      session.record.expiredAt = now();
      const reason = `Session ${session.record.id} expired (no heartbeat for ${timeout / 1000} s), so its models were unloaded; create a new model.`;
      for (const model of this.models.values()) {
        if (model.record.sessionId !== session.record.id || model.record.status === "unloaded") continue;
        model.record.status = "unloading";
        void model.lane.run(() => this.unloadNow(model, reason));
      }
      this.log(`hdpo-learner: ${reason}`);
      void this.registry.persist();
    }
  }

  private registryFile(): RegistryFile {
    return {
      format: 1,
      baseModel: this.base.name,
      baseConfig: this.base.config,
      nextFutureId: this.futures.upcomingId,
      sessions: [...this.sessions.values()].map((s) => ({ ...s.record, heartbeats: s.heartbeats })),
      models: [...this.models.values()].map((m) => m.record),
      checkpoints: this.checkpoints.all().filter((c) => !c.ephemeral),
      samplingSessions: [...this.samplingSessions.values()].filter(
        (s) => !this.ephemeralSamplingSessions.has(s.id),
      ),
    };
  }

  /** Loads what the directory remembers, after {@link applyRestartRules}. */
  private async restore(registry: RegistryFile | undefined, logged: LoggedFuture[]): Promise<void> {
    const folderOf = (c: CheckpointRecord) =>
      c.type === "training"
        ? this.layout.trainingState(c.modelId, c.name)
        : this.layout.samplerWeights(c.modelId, c.name);
    this.restarted = registry !== undefined;
    const restarted = applyRestartRules(registry, logged, (c) => existsSync(folderOf(c)));
    for (const checkpoint of restarted.unfinishedCheckpoints) {
      await rm(folderOf(checkpoint), { recursive: true, force: true });
    }
    const restartedAt = Date.now();
    for (const record of registry?.sessions ?? []) {
      // A session that heartbeated gets a full timeout to come back; one that never did never expires (§2.5).
      this.sessions.set(record.id, {
        record,
        heartbeats: record.heartbeats === true,
        lastHeartbeat: record.heartbeats === true ? restartedAt : undefined,
      });
    }
    for (const record of registry?.samplingSessions ?? []) this.samplingSessions.set(record.id, record);
    for (const checkpoint of restarted.checkpoints) this.checkpoints.put(checkpoint);
    for (const record of restarted.models) {
      this.models.set(record.id, {
        record,
        lane: new SerialLane(),
        slot: undefined,
        seqIds: restarted.seqIds.get(record.id) ?? new Map(),
        requestCount: record.hadRequests ? 1 : 0,
      });
    }
    this.futures.restore(restarted.futures, restarted.nextFutureId);
    if (registry !== undefined) {
      this.log(
        `hdpo-learner: restored ${this.sessions.size} sessions, ${this.models.size} models and ${this.checkpoints.size} checkpoints from ${this.layout.root}`,
      );
    }
    await this.registry.persist();
  }
}

function checkOptions(options: LearnerServiceOptions): void {
  const temperature = options.temperature ?? 1;
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    throw new LearnerServerError(`temperature must be a finite number > 0, got ${temperature}`);
  }
  const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  if (!(sessionTimeoutMs > 0)) {
    throw new LearnerServerError(`sessionTimeoutMs must be > 0 (Infinity: never), got ${sessionTimeoutMs}`);
  }
  const maxModels = options.maxModels ?? 32;
  if (!Number.isInteger(maxModels) || maxModels < 1) {
    throw new LearnerServerError(`maxModels must be an integer ≥ 1, got ${maxModels}`);
  }
}

function checkSameBase(registry: RegistryFile, base: BaseModel, path: string): void {
  if (
    registry.baseModel !== base.name ||
    JSON.stringify(registry.baseConfig) !== JSON.stringify(base.config)
  ) {
    throw new LearnerServerError(
      `${path} belongs to base model '${registry.baseModel}' (another name or config than '${base.name}'); ` +
        "pass the checkpoint it was made with, or another --state-dir.",
    );
  }
}

function futureResponse(id: number): FutureResponse {
  return { future_id: String(id), status: "pending", request_id: String(id) };
}

/** `<prefix>_<8 hex>`, as SkyRL names them, unused in `taken`. */
function uniqueId(prefix: string, taken: ReadonlyMap<string, unknown>): string {
  for (;;) {
    const id = `${prefix}_${randomBytes(4).toString("hex")}`;
    if (!taken.has(id)) return id;
  }
}

function now(): string {
  return new Date().toISOString();
}
