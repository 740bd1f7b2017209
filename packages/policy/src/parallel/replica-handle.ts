import type { Worker } from "node:worker_threads";
import { PolicyError } from "../policy-error";
import { describeError } from "./loss-module";
import type { ShardGradients } from "./shard-gradients";
import { spawnReplica } from "./spawn-replica";
import type { ReplicaMessage, ReplicaWorkerData, StepRequest } from "./worker-protocol";

let liveThreads = 0;

/** Replica threads started and not yet exited, across all trainers (for leak checks in tests). */
export function liveReplicaThreads(): number {
  return liveThreads;
}

interface Pending {
  id: number | null;
  resolve: (value: ShardGradients | undefined) => void;
  reject: (error: PolicyError) => void;
}

/**
 * The main thread's side of one replica worker: one request at a time, and every way the thread can fail
 * (an error reply, an uncaught error, an unexpected exit, an unreadable message) rejects the pending
 * request with a PolicyError naming the worker, so a caller never waits on a dead thread.
 */
export class ReplicaHandle {
  readonly index: number;
  /** Resolves once the worker has built its model and loaded the loss module. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private pending: Pending | undefined;
  private alive = true;
  private nextId = 0;
  private failure: PolicyError | undefined;

  constructor(
    data: ReplicaWorkerData,
    private readonly total: number,
  ) {
    this.index = data.index;
    this.worker = spawnReplica(data, [data.weights.buffer as ArrayBuffer]);
    liveThreads++;
    this.ready = new Promise<ShardGradients | undefined>((resolve, reject) => {
      this.pending = { id: null, resolve, reject };
    }).then(() => undefined);
    // Awaited by the trainer; this only keeps a worker that fails after another one from being reported as
    // an unhandled rejection.
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", (code) => {
        this.alive = false;
        liveThreads--;
        this.fail(`exited with code ${code} while it still had work`);
        resolve();
      });
    });
    this.worker.on("message", (message: ReplicaMessage) => this.receive(message));
    this.worker.on("error", (error) => this.fail(`threw ${describeError(error)}`));
    this.worker.on("messageerror", (error) =>
      this.fail(`sent an unreadable message (${describeError(error)})`),
    );
  }

  /** Whether the thread is still running. */
  get running(): boolean {
    return this.alive;
  }

  /** Sends one step's weights and shards; resolves with the summed loss and gradients of the shards. */
  compute<Shard>(
    request: Omit<StepRequest<Shard>, "type" | "id">,
    timeoutMs = Number.POSITIVE_INFINITY,
  ): Promise<ShardGradients> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.pending !== undefined) {
      return Promise.reject(new PolicyError(`internal: ${this.name()} already has a request in flight`));
    }
    const id = this.nextId++;
    const result = new Promise<ShardGradients | undefined>((resolve, reject) => {
      this.pending = { id, resolve, reject };
    });
    const message: StepRequest<Shard> = { type: "step", id, ...request };
    try {
      this.worker.postMessage(message, [request.weights.buffer as ArrayBuffer]);
    } catch (error) {
      // A shard that is not structured-cloneable (a function, a class with methods) fails here.
      this.pending = undefined;
      return Promise.reject(
        new PolicyError(
          `Could not send its shards to ${this.name()}: ${describeError(error)}. Shards must be plain data (structured clone).`,
        ),
      );
    }
    if (!Number.isFinite(timeoutMs)) return result.then((value) => value!);
    const timer = setTimeout(
      () => this.fail(`did not return its gradients within ${timeoutMs} ms (does the loss ever return?)`),
      timeoutMs,
    );
    return result.then(
      (value) => {
        clearTimeout(timer);
        return value!;
      },
      (error: unknown) => {
        clearTimeout(timer);
        throw error;
      },
    );
  }

  /** Stops the thread (idempotent); resolves when it has exited. */
  async terminate(): Promise<void> {
    if (this.alive) await this.worker.terminate();
    await this.exited;
  }

  private receive(message: ReplicaMessage): void {
    const pending = this.pending;
    if (message.type === "failed") {
      const where = message.id === null ? "while starting" : "while computing its shards";
      this.fail(`failed ${where}: ${message.message}`, message.stack);
      return;
    }
    // A reply to a request that already failed (e.g. timed out) is dropped.
    if (pending === undefined || (message.type === "gradients" && message.id !== pending.id)) return;
    this.pending = undefined;
    if (message.type === "ready") pending.resolve(undefined);
    else pending.resolve({ loss: message.loss, metrics: message.metrics, gradients: message.gradients });
  }

  private fail(cause: string, stack?: string): void {
    const pending = this.pending;
    this.pending = undefined;
    if (this.failure === undefined) {
      const detail = stack === undefined ? "" : `\n${stack}`;
      this.failure = new PolicyError(`Data-parallel ${this.name()} ${cause}${detail}`);
    }
    pending?.reject(this.failure);
  }

  private name(): string {
    return `worker ${this.index} (of ${this.total})`;
  }
}
