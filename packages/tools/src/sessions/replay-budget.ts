import { requirePositiveInteger } from "../tools-error";

/** Bytes of Python code kept for replays over all trajectories by default (code counted as UTF-16, 2 bytes a char). */
export const DEFAULT_MAX_REPLAY_BYTES = 256 * 1024 * 1024;

/** What the budget needs from a trajectory: how much it holds, and a way to make it let go. */
export interface ReplayHolder {
  /** Drops the whole history: the trajectory's next session start cannot replay and says so. */
  dropReplayHistory(): void;
}

/**
 * One byte budget for the replay histories of all trajectories. The per-trajectory bound alone let a few hundred
 * long trajectories exhaust the heap; past this budget the histories used least recently are dropped first (in
 * O(1) amortized per call: a Map in recency order). A dropped history costs nothing while the trajectory's session
 * stays alive; only if that session is later evicted does its next call start clean, with the
 * `UNRESTORED_SESSION_NOTICE` as the first line of the observation.
 */
export class ReplayBudget {
  /** Histories dropped to stay within the budget. */
  dropped = 0;
  private used = 0;
  /** Bytes held per trajectory; insertion order is recency, the first is the least recently used. */
  private readonly held = new Map<ReplayHolder, number>();

  constructor(readonly maxBytes: number = DEFAULT_MAX_REPLAY_BYTES) {
    requirePositiveInteger(maxBytes, "maxReplayBytes");
  }

  /** Bytes held now by all histories. */
  get bytes(): number {
    return this.used;
  }

  /**
   * Records that `holder` keeps `bytes` more, then drops the least recently used other histories until the total
   * fits; when `holder`'s own history does not fit even alone, it is dropped too. False when `holder`'s was.
   */
  add(holder: ReplayHolder, bytes: number): boolean {
    const before = this.held.get(holder) ?? 0;
    this.held.delete(holder);
    this.held.set(holder, before + bytes);
    this.used += bytes;
    for (const [victim, size] of this.held) {
      if (this.used <= this.maxBytes) break;
      if (victim === holder) continue;
      this.held.delete(victim);
      this.used -= size;
      this.dropped += 1;
      victim.dropReplayHistory();
    }
    if (this.used <= this.maxBytes) return true;
    this.release(holder);
    this.dropped += 1;
    holder.dropReplayHistory();
    return false;
  }

  /** Forgets `holder`'s history (dropped, reset or closed). */
  release(holder: ReplayHolder): void {
    const size = this.held.get(holder);
    if (size === undefined) return;
    this.held.delete(holder);
    this.used -= size;
  }
}
