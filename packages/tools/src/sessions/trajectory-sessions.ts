import { KeyedSerialQueue } from "./keyed-serial-queue";
import type { PythonSessionPool } from "./python-session-pool";
import type { ReplayBudget } from "./replay-budget";
import { TrajectoryState } from "./trajectory-state";

export interface TrajectorySessionsOptions {
  /** Where trajectories' Python sessions live; absent when the runtime has no Python. */
  pool?: PythonSessionPool;
  /** A trajectory untouched this long (and with nothing queued) is closed; `Infinity` keeps them forever. */
  idleTimeoutMs: number;
  /** The replay budget shared by all trajectories' Python histories. */
  replayBudget?: ReplayBudget;
}

/**
 * Per-trajectory state, created on first use and removed on close or after `idleTimeoutMs` idle. Work for one
 * trajectory runs in arrival order (`run`, `close` and expiry share one queue per id); different ids run concurrently.
 */
export class TrajectorySessions {
  /** Trajectories closed for being idle. */
  expired = 0;
  private readonly states = new Map<string, TrajectoryState>();
  private readonly queue = new KeyedSerialQueue();
  private readonly pool: PythonSessionPool | undefined;
  private readonly idleTimeoutMs: number;
  private readonly replayBudget: ReplayBudget | undefined;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(options: TrajectorySessionsOptions) {
    this.pool = options.pool;
    this.replayBudget = options.replayBudget;
    this.idleTimeoutMs = options.idleTimeoutMs;
    if (Number.isFinite(this.idleTimeoutMs)) {
      const every = Math.min(Math.max(this.idleTimeoutMs / 2, 10), 60_000);
      this.sweeper = setInterval(() => this.sweep(), every);
      // Expiry must never keep a process alive on its own.
      this.sweeper.unref();
    }
  }

  /** Trajectories with state. */
  get size(): number {
    return this.states.size;
  }

  /** Runs `task` with the trajectory's state (created if new) after the trajectory's earlier work. */
  run<T>(trajectoryId: string, task: (state: TrajectoryState) => Promise<T>): Promise<T> {
    return this.queue.run(trajectoryId, async () => {
      let state = this.states.get(trajectoryId);
      if (state === undefined) {
        state = new TrajectoryState(trajectoryId, Date.now(), this.replayBudget);
        this.states.set(trajectoryId, state);
      }
      state.lastUsed = Date.now();
      try {
        return await task(state);
      } finally {
        state.lastUsed = Date.now();
      }
    });
  }

  /** Closes the trajectory after its earlier work: kills its Python session and forgets its state. */
  close(trajectoryId: string): Promise<void> {
    return this.queue.run(trajectoryId, () => this.drop(trajectoryId));
  }

  /**
   * Runs `task` in the trajectory's turn (without creating state) with a `close` that kills its process and
   * forgets it, so the caller can time or wrap the close.
   */
  closing<T>(trajectoryId: string, task: (close: () => Promise<void>) => Promise<T>): Promise<T> {
    return this.queue.run(trajectoryId, () => task(() => this.drop(trajectoryId)));
  }

  /** Stops expiry and kills every Python session. */
  async shutdown(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    for (const state of this.states.values()) state.resetPython();
    this.states.clear();
    await this.pool?.closeAll();
  }

  private async drop(trajectoryId: string): Promise<void> {
    // Its history leaves the shared replay budget with it.
    this.states.get(trajectoryId)?.resetPython();
    this.states.delete(trajectoryId);
    await this.pool?.close(trajectoryId);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, state] of this.states) {
      if (now - state.lastUsed < this.idleTimeoutMs || this.queue.pending(id) > 0) continue;
      this.queue
        .run(id, async () => {
          // Re-checked in the queue: a request may have arrived since.
          if (this.states.get(id) !== state || Date.now() - state.lastUsed < this.idleTimeoutMs) return;
          this.expired += 1;
          await this.drop(id);
        })
        .catch(() => {});
    }
  }
}
