import type { ReplayBudget, ReplayHolder } from "./replay-budget";

/** Code characters of one trajectory's python calls kept for a replay (16 MiB of UTF-16). */
export const MAX_REPLAY_CHARS = 8 * 1024 * 1024;

/** What the runtime remembers about one trajectory between its requests. */
export class TrajectoryState implements ReplayHolder {
  /** Calls per tool (canonical name), counted before they run, as the reference counts them. */
  readonly calls = new Map<string, number>();
  /** Python code run since the session last started clean: what an evicted session replays. */
  pythonHistory: string[] = [];
  /** Characters in `pythonHistory`; past `MAX_REPLAY_CHARS` the history is dropped and cannot be replayed. */
  pythonHistoryChars = 0;
  /** False once the history was dropped for size: an evicted session then restarts clean, with a notice. */
  pythonReplayable = true;
  /** The last Python session died (timeout, crash), so the next call starts clean and says so. */
  pythonTerminated = false;
  lastUsed: number;

  /**
   * @param budget the replay budget shared by all trajectories; without one only the per-trajectory bound applies.
   */
  constructor(
    readonly id: string,
    now: number,
    private readonly budget?: ReplayBudget,
  ) {
    this.lastUsed = now;
  }

  /** Records a python call that ran, for a replay after eviction. */
  rememberPython(code: string): void {
    if (!this.pythonReplayable) return;
    this.pythonHistory.push(code);
    this.pythonHistoryChars += code.length;
    if (this.pythonHistoryChars > MAX_REPLAY_CHARS) {
      // Keeping every call of an endless trajectory would let one client exhaust the server's memory.
      this.dropReplayHistory();
      return;
    }
    // Many trajectories each under their own bound can still exhaust it together; the shared budget drops the
    // least recently used histories (possibly this one) to stay within its bytes.
    this.budget?.add(this, code.length * 2);
  }

  /** Gives the history up for good (until the next clean start): an evicted session restarts clean, with a notice. */
  dropReplayHistory(): void {
    this.pythonReplayable = false;
    this.pythonHistory = [];
    this.pythonHistoryChars = 0;
    this.budget?.release(this);
  }

  /** Forgets the python history: the session starts (or started) clean. */
  resetPython(): void {
    this.pythonHistory = [];
    this.pythonHistoryChars = 0;
    this.pythonReplayable = true;
    this.budget?.release(this);
  }

  /** Counts a call of `tool` and returns how many calls of it came before. */
  countCall(tool: string): number {
    const before = this.calls.get(tool) ?? 0;
    this.calls.set(tool, before + 1);
    return before;
  }
}
