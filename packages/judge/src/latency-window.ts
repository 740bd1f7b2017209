/** Latency percentiles over the most recent samples; `null` until there is one. */
export interface LatencySummary {
  /** Samples recorded since creation (not only those in the window). */
  count: number;
  p50: number | null;
  p95: number | null;
}

/**
 * The most recent `capacity` latencies (a ring), so that a long training run keeps a bounded memory and the
 * percentiles follow the endpoint's current state.
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;

  constructor(capacity = 4096) {
    this.#samples = new Float64Array(capacity);
  }

  /** Records one latency in milliseconds; non-finite or negative values are ignored. */
  record(milliseconds: number): void {
    if (!Number.isFinite(milliseconds) || milliseconds < 0) return;
    this.#samples[this.#count % this.#samples.length] = milliseconds;
    this.#count++;
  }

  /** Nearest-rank p50 and p95 over the window. */
  summary(): LatencySummary {
    const size = Math.min(this.#count, this.#samples.length);
    if (size === 0) return { count: 0, p50: null, p95: null };
    const sorted = this.#samples.slice(0, size).sort();
    const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * size) - 1)]!;
    return { count: this.#count, p50: rank(0.5), p95: rank(0.95) };
  }
}
