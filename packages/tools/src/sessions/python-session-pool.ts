import type { PythonLauncher, PythonRunResult, PythonSession } from "../runtime/parts";
import { ToolsError } from "../tools-error";
import { Semaphore } from "./semaphore";
import type { TrajectoryState } from "./trajectory-state";

/** The first line of the observation of a call that ran in a clean session because the last one was killed. */
export const TERMINATED_SESSION_NOTICE =
  "Note: the previous Python session was terminated (time limit or crash), so this code ran in a new session: " +
  "all earlier variables, imports and files are gone.";

/** The first line when an evicted session could not be restored (its calls were too many to keep for a replay). */
export const UNRESTORED_SESSION_NOTICE =
  "Note: the previous Python session was closed to free resources and could not be restored, so this code ran in " +
  "a new session: all earlier variables, imports and files are gone.";

interface PoolEntry {
  readonly state: TrajectoryState;
  session: PythonSession | undefined;
  /** Starting, replaying or running: never evicted. */
  busy: boolean;
}

export interface PythonPoolCounters {
  /** Sessions closed to make room for another trajectory's. */
  evictions: number;
  /** Evicted sessions restored by replaying their earlier calls. */
  replays: number;
  /** Calls re-run by those replays. */
  replayedCalls: number;
  /** Sessions that died in a call (timeout, memory, crash). */
  terminations: number;
  /** Calls that hit the time limit. */
  timeouts: number;
  /** Sessions started (clean or for a replay). */
  starts: number;
}

export interface PythonSessionPoolOptions {
  /** Live Python processes at most; the least recently used idle one is closed for a new one. */
  maxSessions: number;
  /** Python calls at once; clamped to `maxSessions` so a call always finds a session it may evict. */
  workers: number;
}

/**
 * The live Python sessions of all trajectories: at most `maxSessions` processes, least recently used evicted first.
 * An evicted trajectory's next call starts a session and replays the calls it had run (their output discarded);
 * after a session died in a call, the next one starts clean and carries `TERMINATED_SESSION_NOTICE` instead.
 */
export class PythonSessionPool {
  readonly counters: PythonPoolCounters = {
    evictions: 0,
    replays: 0,
    replayedCalls: 0,
    terminations: 0,
    timeouts: 0,
    starts: 0,
  };
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, PoolEntry>();
  private readonly slots: Semaphore;
  private readonly maxSessions: number;

  constructor(
    readonly launcher: PythonLauncher,
    options: PythonSessionPoolOptions,
  ) {
    this.maxSessions = options.maxSessions;
    this.slots = new Semaphore(Math.min(options.workers, options.maxSessions));
  }

  /** Live (or starting) sessions. */
  get live(): number {
    return this.entries.size;
  }

  /** Python calls running now. */
  get running(): number {
    return this.slots.inUse;
  }

  /** Python calls waiting for a worker. */
  get waiting(): number {
    return this.slots.waiting;
  }

  /** Runs `code` in the trajectory's session; `images` seed a session that has to be started. */
  run(
    state: TrajectoryState,
    code: string,
    images: string[],
  ): Promise<{ result: PythonRunResult; notice?: string }> {
    return this.slots.use(async () => {
      let entry: PoolEntry | undefined;
      // Whether variables exist that a failure below would lose (and the next call should hear about).
      const hadState = state.pythonHistory.length > 0 || this.entries.has(state.id);
      try {
        const found = await this.sessionFor(state, images);
        entry = found.entry;
        entry.busy = true;
        const session = entry.session!;
        const result = await session.run(code);
        if (result.timedOut) this.counters.timeouts += 1;
        if (result.terminated || !session.alive) {
          this.counters.terminations += 1;
          state.pythonTerminated = true;
          state.resetPython();
          await this.close(state.id);
        } else {
          state.rememberPython(code);
        }
        return found.notice === undefined ? { result } : { result, notice: found.notice };
      } catch (error) {
        // The session failed in a way it should not (it never rejects for user code): its state is unknown, so
        // it goes, and the next call starts clean with the notice.
        if (hadState) state.pythonTerminated = true;
        state.resetPython();
        await this.close(state.id).catch(() => {});
        throw error;
      } finally {
        if (entry !== undefined) entry.busy = false;
      }
    });
  }

  /** Kills the trajectory's session, if it has one. Its history stays with the trajectory's state. */
  async close(trajectoryId: string): Promise<void> {
    const entry = this.entries.get(trajectoryId);
    if (entry === undefined) return;
    this.entries.delete(trajectoryId);
    await entry.session?.close();
  }

  /** Kills every session (not the launcher). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.entries.keys()].map((id) => this.close(id)));
  }

  private async sessionFor(
    state: TrajectoryState,
    images: string[],
  ): Promise<{ entry: PoolEntry; notice?: string }> {
    const existing = this.entries.get(state.id);
    if (existing?.session?.alive) {
      this.entries.delete(state.id);
      this.entries.set(state.id, existing);
      return { entry: existing };
    }
    if (existing !== undefined) {
      // It died between calls (killed from outside): the code may have caused it, so do not replay it.
      this.counters.terminations += 1;
      state.pythonTerminated = true;
      await this.close(state.id);
    }
    let entry = await this.open(state, images);
    if (state.pythonTerminated) {
      state.pythonTerminated = false;
      state.resetPython();
      return { entry, notice: TERMINATED_SESSION_NOTICE };
    }
    if (!state.pythonReplayable) {
      state.resetPython();
      return { entry, notice: UNRESTORED_SESSION_NOTICE };
    }
    if (state.pythonHistory.length === 0) return { entry };
    this.counters.replays += 1;
    for (const past of state.pythonHistory) {
      this.counters.replayedCalls += 1;
      const replayed = await entry.session!.run(past);
      if (replayed.terminated || !entry.session!.alive) {
        // The replay itself died (a call that only just fit the limits): start clean rather than loop.
        this.counters.terminations += 1;
        state.resetPython();
        await this.close(state.id);
        entry = await this.open(state, images);
        return { entry, notice: TERMINATED_SESSION_NOTICE };
      }
    }
    return { entry };
  }

  /** Starts a session for `state`, first evicting idle sessions beyond the bound. */
  private async open(state: TrajectoryState, images: string[]): Promise<PoolEntry> {
    while (this.entries.size >= this.maxSessions) {
      const victim = [...this.entries.values()].find((entry) => !entry.busy);
      if (victim === undefined) {
        throw new ToolsError(
          `All ${this.maxSessions} Python sessions are busy; raise maxSessions or lower workers (it should not exceed maxSessions).`,
        );
      }
      this.counters.evictions += 1;
      // A victim that fails to die must not fail this trajectory's call; its process is the launcher's to reap.
      await this.close(victim.state.id).catch(() => {});
    }
    // Reserve the slot before the first await so concurrent starts cannot overshoot the bound.
    const entry: PoolEntry = { state, session: undefined, busy: true };
    this.entries.set(state.id, entry);
    try {
      entry.session = await this.launcher.start(state.id, images);
      this.counters.starts += 1;
      return entry;
    } catch (error) {
      if (this.entries.get(state.id) === entry) this.entries.delete(state.id);
      throw error;
    }
  }
}
