/**
 * Runs tasks one at a time per key, in the order they were added, and tasks of different keys concurrently: the
 * reference's per-trajectory ordering (one kernel per trajectory answers its requests in turn).
 */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, { tail: Promise<void>; pending: number }>();

  /** Queues `task` behind the earlier tasks of `key`; settles as `task` does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let entry = this.tails.get(key);
    if (entry === undefined) {
      entry = { tail: Promise.resolve(), pending: 0 };
      this.tails.set(key, entry);
    }
    const current = entry;
    current.pending += 1;
    const result = current.tail.then(task);
    current.tail = result.then(
      () => this.settle(key, current),
      () => this.settle(key, current),
    );
    return result;
  }

  /** Tasks of `key` queued or running. */
  pending(key: string): number {
    return this.tails.get(key)?.pending ?? 0;
  }

  private settle(key: string, entry: { pending: number }): void {
    entry.pending -= 1;
    if (entry.pending === 0 && this.tails.get(key) === entry) this.tails.delete(key);
  }
}
