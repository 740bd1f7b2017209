import { JudgeError } from "./judge-error";

/** Runs at most `limit` async tasks at once; the rest wait in arrival order. */
export class ConcurrencyLimiter {
  readonly limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  /** @throws JudgeError when `limit` is not an integer ≥ 1. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new JudgeError(`ConcurrencyLimiter: limit must be an integer ≥ 1, got ${String(limit)}.`);
    }
    this.limit = limit;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `task` once a slot is free, and frees the slot when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      const next = this.#waiting.shift();
      if (next === undefined) this.#running--;
      else next();
    }
  }
}
