import type { FutureKind, FutureLog, LoggedFuture } from "./future-log";

/** What {@link FutureTable.wait} found. */
export type FutureOutcome =
  | { state: "completed"; text: string }
  | { state: "failed"; message: string }
  | { state: "timeout" }
  | { state: "not_found"; message: string };

interface FutureRecord extends LoggedFuture {
  /** Bytes of `text` counted against the retention budget. */
  bytes: number;
}

/**
 * Every future of the server: a global counter (ids are decimal strings on the wire, equal to the request id), the
 * results, and the long-poll waiters. Results are kept newest first up to `maxResultBytes`; older ones are dropped
 * (a retrieve then answers 404 and says why), so a long run cannot fill memory with log-probs nobody reads again.
 */
export class FutureTable {
  private readonly futures = new Map<number, FutureRecord>();
  private readonly waiters = new Map<number, Set<() => void>>();
  private nextId = 1;
  private droppedUpTo = 0;
  private resultBytes = 0;

  constructor(
    private readonly log: FutureLog,
    private readonly maxResultBytes: number,
  ) {}

  /** Loads replayed futures (after the restart rules were applied to them) and continues the counter after them. */
  restore(futures: readonly LoggedFuture[], nextId: number): void {
    for (const future of futures) {
      const bytes = future.text?.length ?? 0;
      this.futures.set(future.id, { ...future, bytes });
      if (future.status !== "pending") this.resultBytes += bytes;
      this.nextId = Math.max(this.nextId, future.id + 1);
    }
    this.nextId = Math.max(this.nextId, nextId);
    const oldest = futures[0]?.id;
    if (oldest !== undefined) this.droppedUpTo = oldest - 1;
    this.evict();
    this.log.rewrite(this.futures.values());
  }

  /** The id the next future will get. */
  get upcomingId(): number {
    return this.nextId;
  }

  /** Creates a pending future (logged before the caller answers). */
  create(kind: FutureKind, modelId: string | null, dedup?: { seqId: number; hash: string }): number {
    const id = this.nextId++;
    const future: FutureRecord = {
      id,
      kind,
      modelId,
      ...(dedup !== undefined ? { seqId: dedup.seqId, hash: dedup.hash } : {}),
      status: "pending",
      bytes: 0,
    };
    this.log.created(future);
    this.futures.set(id, future);
    return id;
  }

  complete(id: number, resultText: string): void {
    const future = this.futures.get(id);
    if (future === undefined || future.status !== "pending") return;
    this.log.completed(id, resultText);
    this.settle(future, "completed", resultText);
  }

  fail(id: number, message: string): void {
    const future = this.futures.get(id);
    if (future === undefined || future.status !== "pending") return;
    this.log.failed(id, message);
    this.settle(future, "failed", message);
  }

  /** Waits until the future ends, at most `timeoutMs`; `signal` (the client went away) stops the wait early. */
  async wait(id: number, timeoutMs: number, signal?: AbortSignal): Promise<FutureOutcome> {
    const now = this.outcome(id);
    if (now !== undefined) return now;
    await new Promise<void>((resolve) => {
      const set = this.waiters.get(id) ?? new Set<() => void>();
      this.waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
    return this.outcome(id) ?? { state: "timeout" };
  }

  /** Wakes every waiter (they see their future as it is: pending ones time out). For shutdown. */
  wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }

  /** Futures of a model (for rebuilding its sequence-id map after a restart). */
  ofModel(modelId: string): LoggedFuture[] {
    return [...this.futures.values()].filter((future) => future.modelId === modelId);
  }

  private outcome(id: number): FutureOutcome | undefined {
    const future = this.futures.get(id);
    if (future === undefined) {
      return {
        state: "not_found",
        message:
          id <= this.droppedUpTo
            ? `Future not found: future ${id}'s result is no longer kept (this server keeps the newest ${Math.round(this.maxResultBytes / 2 ** 20)} MiB of results); retrieve futures soon after they finish.`
            : "Future not found",
      };
    }
    if (future.status === "completed") return { state: "completed", text: future.text ?? "null" };
    if (future.status === "failed") return { state: "failed", message: future.text ?? "the request failed" };
    return undefined;
  }

  private settle(future: FutureRecord, status: "completed" | "failed", text: string): void {
    future.status = status;
    future.text = text;
    future.bytes = text.length;
    this.resultBytes += future.bytes;
    const waiting = this.waiters.get(future.id);
    if (waiting !== undefined) for (const wake of [...waiting]) wake();
    this.evict();
    // The log holds at most about twice what memory keeps before it is compacted.
    if (this.log.appendedBytes > 2 * this.maxResultBytes + 16 * 2 ** 20)
      this.log.rewrite(this.futures.values());
  }

  private evict(): void {
    if (this.resultBytes <= this.maxResultBytes) return;
    for (const future of this.futures.values()) {
      if (this.resultBytes <= this.maxResultBytes) break;
      if (future.status === "pending" || this.waiters.has(future.id)) continue;
      this.futures.delete(future.id);
      this.resultBytes -= future.bytes;
      this.droppedUpTo = Math.max(this.droppedUpTo, future.id);
    }
  }
}
