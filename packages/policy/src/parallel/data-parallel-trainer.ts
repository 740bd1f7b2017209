import { type BackendName, tf } from "@hdpo/tensor";
import type { DecoderModel, PlainWeight } from "../model/decoder-model";
import { PolicyError } from "../policy-error";
import { describeError, type LossFunction, loadLossModule } from "./loss-module";
import {
  assignParameters,
  type ParameterLayout,
  packParameters,
  parameterLayout,
  unpackParameters,
} from "./parameter-layout";
import { ReplicaHandle } from "./replica-handle";
import { type ShardAssignment, type ShardGradients, shardGradients } from "./shard-gradients";
import type { ShardedBatch } from "./split-sequence-batch";
import type { ReplicaWorkerData } from "./worker-protocol";

/** Adam's settings (tfjs's `tf.train.adam`; defaults as in PyTorch). */
export interface AdamOptions {
  /** Default 1e-3. */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
}

/** Options of {@link createDataParallelTrainer}. */
export interface DataParallelTrainerOptions {
  /**
   * The master model, on the calling thread: the optimizer updates its variables and every step sends its
   * weights to the workers (so weights the caller assigns between steps are used). Not disposed on close.
   */
  model: DecoderModel;
  /** An ES module exporting `loss(model, shard, context)`; e.g. `maskedNllLossModule()`. */
  lossModule: URL;
  /** Worker threads, each with its own tfjs and a replica of the model (0: everything on this thread). */
  workers: number;
  /**
   * Whether this thread computes a share of the shards too, alongside the workers (default: only when there
   * are no workers). With N cores, N − 1 workers plus this thread use them all with one replica less.
   */
  computeOnMainThread?: boolean;
  /** The workers' backend (default `"wasm"`, single-threaded in Node: one core per worker). */
  backend?: BackendName;
  /** Adam's settings, or any tfjs optimizer (which the caller then owns and disposes). */
  optimizer?: AdamOptions | tf.Optimizer;
  /** Clip the summed gradients to this global L2 norm, as torch's `clip_grad_norm_` (default: no clipping). */
  maxGradNorm?: number;
  /**
   * How long a worker may take over its shards before the step fails and the trainer closes (default: no
   * limit). A guard against a loss that never returns; leave room for a loaded machine.
   */
  stepTimeoutMs?: number;
}

/** What one step did. */
export interface DataParallelStepResult {
  /** The sum of the shards' losses (the full batch's loss when they are normalised globally). */
  loss: number;
  /** The global L2 norm of the summed gradients before clipping. */
  gradNorm: number;
  /** Whether the gradients were scaled down to `maxGradNorm`. */
  clipped: boolean;
  /** The sums over the shards of the metrics the loss returned (e.g. `tokens` for the masked NLL). */
  metrics: Record<string, number>;
  /** The step's normaliser. */
  normaliser: number;
  /** How many shards were computed. */
  shards: number;
}

/** The summed loss, metrics and gradients of a batch's shards, gradients per parameter name. */
export interface DataParallelGradients {
  loss: number;
  metrics: Record<string, number>;
  gradients: Map<string, PlainWeight>;
}

/** Trains one model with its batch split across worker threads; see {@link createDataParallelTrainer}. */
export interface DataParallelTrainer<Shard> {
  /** Threads that compute shards (workers, plus this thread when it computes too). */
  readonly executors: number;
  /** Worker threads still running (0 after `close` or a failure). */
  readonly runningWorkers: number;
  /**
   * Computes the shards' gradients (shard i on executor i mod `executors`), sums them, clips them and
   * applies them with the optimizer to the master model.
   */
  step(batch: ShardedBatch<Shard>): Promise<DataParallelStepResult>;
  /** The summed loss and gradients of the shards at the current weights, without updating anything. */
  gradients(batch: ShardedBatch<Shard>): Promise<DataParallelGradients>;
  /** Copies of the master model's weights. */
  weights(): Map<string, PlainWeight>;
  /** Assigns the master model's weights to `model` (same config), e.g. a model that generates rollouts. */
  syncTo(model: DecoderModel): void;
  /** Terminates the workers and frees the optimizer it created (idempotent). */
  close(): Promise<void>;
}

/**
 * Starts data-parallel training of `options.model`: each worker thread holds its own tfjs and a replica of
 * the model and loads `options.lossModule`; a step sends every executor the master's weights and its shards
 * (plain data), adds up the gradients they return, and applies them on this thread. The loss module divides
 * each shard's loss by the batch's global normaliser, so the sum equals the full batch's gradient.
 *
 * A worker that fails (its loss throws, it crashes or exits) rejects the step with a PolicyError naming
 * the worker and the cause, and closes the trainer: every worker is terminated.
 *
 * @example
 * const trainer = await createDataParallelTrainer<SequenceBatch>({
 *   model, lossModule: maskedNllLossModule(), workers: 2, optimizer: { learningRate: 1e-3 }, maxGradNorm: 1,
 * });
 * const { loss, gradNorm } = await trainer.step(splitSequenceBatch(batch, trainer.executors));
 * await trainer.close();
 */
export async function createDataParallelTrainer<Shard>(
  options: DataParallelTrainerOptions,
): Promise<DataParallelTrainer<Shard>> {
  const { model, workers } = options;
  if (!Number.isInteger(workers) || workers < 0) {
    throw new PolicyError(`createDataParallelTrainer: workers must be an integer ≥ 0, got ${workers}`);
  }
  const maxGradNorm = options.maxGradNorm ?? Number.POSITIVE_INFINITY;
  if (!(maxGradNorm > 0)) {
    throw new PolicyError(`createDataParallelTrainer: maxGradNorm must be positive, got ${maxGradNorm}`);
  }
  const stepTimeoutMs = options.stepTimeoutMs ?? Number.POSITIVE_INFINITY;
  if (!(stepTimeoutMs > 0)) {
    throw new PolicyError(`createDataParallelTrainer: stepTimeoutMs must be positive, got ${stepTimeoutMs}`);
  }
  const onMain = options.computeOnMainThread ?? workers === 0;
  if (!onMain && workers === 0) {
    throw new PolicyError(
      "createDataParallelTrainer: with no workers the main thread must compute (computeOnMainThread: true)",
    );
  }
  const layout = parameterLayout(model);
  const mainLoss = onMain ? await loadLossModule<Shard>(options.lossModule.href) : undefined;
  const initial = packParameters(model, layout);
  const replicas: ReplicaHandle[] = [];
  try {
    for (let index = 0; index < workers; index++) {
      const data: ReplicaWorkerData = {
        index,
        backend: options.backend ?? "wasm",
        config: model.config,
        names: layout.names,
        shapes: layout.shapes,
        weights: initial.slice(),
        lossModule: options.lossModule.href,
      };
      replicas.push(new ReplicaHandle(data, workers));
    }
  } catch (error) {
    await Promise.all(replicas.map((replica) => replica.terminate()));
    throw error;
  }
  try {
    await Promise.all(replicas.map((replica) => replica.ready));
  } catch (error) {
    await Promise.all(replicas.map((replica) => replica.terminate()));
    throw error;
  }
  const ownsOptimizer = !isOptimizer(options.optimizer);
  const optimizer = isOptimizer(options.optimizer)
    ? options.optimizer
    : tf.train.adam(
        options.optimizer?.learningRate ?? 1e-3,
        options.optimizer?.beta1 ?? 0.9,
        options.optimizer?.beta2 ?? 0.999,
        options.optimizer?.epsilon ?? 1e-8,
      );
  return new Trainer<Shard>(
    model,
    layout,
    replicas,
    mainLoss,
    optimizer,
    ownsOptimizer,
    maxGradNorm,
    stepTimeoutMs,
  );
}

class Trainer<Shard> implements DataParallelTrainer<Shard> {
  readonly executors: number;
  private busy = false;
  private closing: Promise<void> | undefined;
  private failure: PolicyError | undefined;

  constructor(
    private readonly model: DecoderModel,
    private readonly layout: ParameterLayout,
    private readonly replicas: ReplicaHandle[],
    private readonly mainLoss: LossFunction<Shard> | undefined,
    private readonly optimizer: tf.Optimizer,
    private readonly ownsOptimizer: boolean,
    private readonly maxGradNorm: number,
    private readonly stepTimeoutMs: number,
  ) {
    this.executors = replicas.length + (mainLoss === undefined ? 0 : 1);
  }

  get runningWorkers(): number {
    return this.replicas.filter((replica) => replica.running).length;
  }

  async step(batch: ShardedBatch<Shard>): Promise<DataParallelStepResult> {
    const { loss, metrics, gradients } = await this.sum(batch);
    let squares = 0;
    for (let i = 0; i < gradients.length; i++) squares += gradients[i]! * gradients[i]!;
    const gradNorm = Math.sqrt(squares);
    const clipCoefficient = this.maxGradNorm / (gradNorm + 1e-6);
    const clipped = clipCoefficient < 1;
    if (clipped) for (let i = 0; i < gradients.length; i++) gradients[i]! *= clipCoefficient;
    const named: tf.NamedTensorMap = {};
    this.layout.names.forEach((name, i) => {
      const variable = this.model.parameters.get(name)!;
      const offset = this.layout.offsets[i]!;
      named[variable.name] = tf.tensor(
        gradients.subarray(offset, offset + variable.size),
        this.layout.shapes[i]!,
        "float32",
      );
    });
    try {
      this.optimizer.applyGradients(named);
    } finally {
      tf.dispose(Object.values(named));
    }
    return { loss, gradNorm, clipped, metrics, normaliser: batch.normaliser, shards: batch.shards.length };
  }

  async gradients(batch: ShardedBatch<Shard>): Promise<DataParallelGradients> {
    const { loss, metrics, gradients } = await this.sum(batch);
    return { loss, metrics, gradients: unpackParameters(this.layout, gradients) };
  }

  weights(): Map<string, PlainWeight> {
    return this.model.weights();
  }

  syncTo(target: DecoderModel): void {
    const layout = parameterLayout(target);
    const same =
      layout.names.length === this.layout.names.length &&
      layout.names.every(
        (name, i) =>
          name === this.layout.names[i] && layout.shapes[i]!.join() === this.layout.shapes[i]!.join(),
      );
    if (!same) {
      throw new PolicyError(
        "syncTo: the target model's parameters differ from the trained model's; create it from the same config",
      );
    }
    assignParameters(target, layout, packParameters(this.model, this.layout));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.replicas.map((replica) => replica.terminate()));
      if (this.ownsOptimizer) this.optimizer.dispose();
    })();
    return this.closing;
  }

  /** Every executor's shards computed at the master's weights, summed in executor order. */
  private async sum(batch: ShardedBatch<Shard>): Promise<ShardGradients> {
    if (this.failure !== undefined) {
      throw new PolicyError(`This data-parallel trainer stopped after a failure: ${this.failure.message}`);
    }
    if (this.closing !== undefined) throw new PolicyError("This data-parallel trainer is closed");
    if (this.busy) {
      throw new PolicyError("A data-parallel step is already running; await it before starting the next");
    }
    validateBatch(batch);
    this.busy = true;
    try {
      const assignments = this.assign(batch);
      const offset = this.mainLoss === undefined ? 0 : 1;
      const weights = packParameters(this.model, this.layout);
      const fromWorkers = this.replicas.map((replica, r) => {
        const assignment = assignments[r + offset]!;
        if (assignment.shards.length === 0) return undefined;
        return replica.compute({ weights: weights.slice(), assignment }, this.stepTimeoutMs);
      });
      // Rejections are collected below; until then they must not count as unhandled.
      for (const pending of fromWorkers) pending?.catch(() => undefined);
      const parts: ShardGradients[] = [];
      if (this.mainLoss !== undefined && assignments[0]!.shards.length > 0) {
        parts.push(this.computeOnMain(assignments[0]!));
      }
      for (const pending of fromWorkers) if (pending !== undefined) parts.push(await pending);
      const total = new Float32Array(this.layout.size);
      const metrics: Record<string, number> = {};
      let loss = 0;
      for (const part of parts) {
        loss += part.loss;
        for (const [name, value] of Object.entries(part.metrics))
          metrics[name] = (metrics[name] ?? 0) + value;
        for (let i = 0; i < total.length; i++) total[i]! += part.gradients[i]!;
      }
      return { loss, metrics, gradients: total };
    } catch (error) {
      this.failure =
        error instanceof PolicyError
          ? error
          : new PolicyError(`Data-parallel step failed: ${describeError(error)}`);
      await this.close();
      throw this.failure;
    } finally {
      this.busy = false;
    }
  }

  private computeOnMain(assignment: ShardAssignment<Shard>): ShardGradients {
    try {
      return shardGradients(this.model, this.layout, this.mainLoss!, assignment);
    } catch (error) {
      throw new PolicyError(
        `Data-parallel main thread failed while computing its shards: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  private assign(batch: ShardedBatch<Shard>): ShardAssignment<Shard>[] {
    const assignments = Array.from({ length: this.executors }, () => ({
      shards: [] as Shard[],
      shardIndices: [] as number[],
      shardCount: batch.shards.length,
      normaliser: batch.normaliser,
    }));
    batch.shards.forEach((shard, i) => {
      const assignment = assignments[i % this.executors]!;
      assignment.shards.push(shard);
      assignment.shardIndices.push(i);
    });
    return assignments;
  }
}

// tf.Optimizer's own instanceof check throws on undefined, and another copy of tfjs-core has another class.
function isOptimizer(value: AdamOptions | tf.Optimizer | undefined): value is tf.Optimizer {
  return typeof (value as Partial<tf.Optimizer> | undefined)?.applyGradients === "function";
}

function validateBatch<Shard>(batch: ShardedBatch<Shard>): void {
  if (batch.shards.length === 0) {
    throw new PolicyError(
      "A data-parallel step needs at least one shard; pass { shards: [...], normaliser }",
    );
  }
  if (!(Number.isFinite(batch.normaliser) && batch.normaliser > 0)) {
    throw new PolicyError(
      `The step's normaliser must be a positive finite number (e.g. the batch's loss-token count), got ${batch.normaliser}`,
    );
  }
}
