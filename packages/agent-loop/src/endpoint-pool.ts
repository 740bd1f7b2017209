import { APIConnectionTimeoutError, APIUserAbortError } from "openai";
import { backoffDelayMs, classifyFailure, sleep } from "./endpoint-retry";
import { OpenAIPolicyError } from "./openai-policy-error";

/** Options of {@link EndpointPool}. */
export interface EndpointPoolOptions {
  /** Retries after the first attempt, across endpoints (default 3). */
  maxRetries?: number;
  /** First backoff step (default 250 ms); doubles per retry. */
  baseDelayMs?: number;
  /** Cap on one backoff wait (default 8 s). */
  maxDelayMs?: number;
  /** Cap on a server's `Retry-After` (default 60 s), so a bad header cannot stall a rollout for hours. */
  maxRetryAfterMs?: number;
  /** How long an endpoint that refused or dropped a connection stays out of rotation before it is probed (default 5 s). */
  deadCooldownMs?: number;
  /** Consecutive 5xx answers after which an endpoint is also taken out of rotation (default 3). */
  failuresBeforeEjection?: number;
  /** How many affinity keys are remembered (least recently used are forgotten; default 100 000). */
  maxAffinityKeys?: number;
  /** Source of jitter in [0, 1) (default `Math.random`); a seam for tests. */
  random?: () => number;
  /** Clock in ms (default `Date.now`); a seam for tests. */
  now?: () => number;
  /** Called before each retry's wait, e.g. for logging. */
  onRetry?: (event: RetryEvent) => void;
}

/** What {@link EndpointPoolOptions.onRetry} is told before a retry. */
export interface RetryEvent {
  /** The failed attempt, 1-based. */
  attempt: number;
  baseURL: string;
  /** HTTP status of the failure, or undefined for connection errors and timeouts. */
  status: number | undefined;
  /** How long the pool waits before the next attempt (Retry-After when given, else backoff). */
  delayMs: number;
  error: unknown;
}

/** Per-call options of {@link EndpointPool.run}. */
export interface EndpointCallOptions {
  /** Requests with the same key go to the same endpoint while it is healthy (e.g. a trajectory id, for prefix caching). */
  affinityKey?: string;
  signal?: AbortSignal;
  /** What the call is, for error messages (e.g. "POST /chat/completions"). */
  label?: string;
}

/** The state of one endpoint, as {@link EndpointPool.snapshot} reports it. */
export interface EndpointState {
  baseURL: string;
  /** In rotation: not marked down, or its cooldown has passed (then the next request probes it). */
  healthy: boolean;
  inFlight: number;
  consecutiveFailures: number;
  /** When a down endpoint may be probed again (ms since the epoch), or 0. */
  downUntil: number;
}

interface Endpoint {
  baseURL: string;
  inFlight: number;
  consecutiveFailures: number;
  downUntil: number;
  /** How many times in a row it was taken down; doubles the cooldown of a flapping endpoint. */
  downStreak: number;
}

/**
 * Replicas of one OpenAI-compatible server. {@link run} picks an endpoint (the affinity key's endpoint when it is
 * healthy, else the healthy one with the fewest requests in flight, ties round-robin), calls `fn` with its base
 * URL and retries failures that are worth retrying (429, 408, 5xx, connection errors, timeouts) with exponential
 * backoff and jitter, honouring `Retry-After`. An endpoint that refuses or drops connections (or keeps answering
 * 5xx) leaves rotation for a cooldown; the first request after the cooldown probes it, and success brings it
 * back. When every endpoint is down, the one whose cooldown ends first is tried rather than failing outright.
 *
 * `fn` must not retry by itself (create `openai` clients with `maxRetries: 0`), or retries multiply.
 */
export class EndpointPool {
  readonly baseURLs: readonly string[];
  private readonly endpoints: Endpoint[];
  private readonly affinity = new Map<string, Endpoint>();
  private readonly settings: Required<Omit<EndpointPoolOptions, "random" | "now" | "onRetry">>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;
  private cursor = 0;

  constructor(baseURLs: string | readonly string[], options: EndpointPoolOptions = {}) {
    const list = typeof baseURLs === "string" ? [baseURLs] : [...baseURLs];
    if (list.length === 0) {
      throw new OpenAIPolicyError("invalid-options", "EndpointPool: give at least one baseURL.");
    }
    for (const [i, url] of list.entries()) {
      if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
        throw new OpenAIPolicyError(
          "invalid-options",
          `EndpointPool: baseURL[${i}] ${JSON.stringify(url)} is not an http(s) URL; give e.g. "http://127.0.0.1:8000/v1".`,
        );
      }
    }
    const normalized = list.map((url) => url.replace(/\/+$/, ""));
    if (new Set(normalized).size !== normalized.length) {
      throw new OpenAIPolicyError("invalid-options", "EndpointPool: the same baseURL is listed twice.");
    }
    this.settings = {
      maxRetries: nonNegativeInt("maxRetries", options.maxRetries ?? 3),
      baseDelayMs: nonNegative("baseDelayMs", options.baseDelayMs ?? 250),
      maxDelayMs: nonNegative("maxDelayMs", options.maxDelayMs ?? 8000),
      maxRetryAfterMs: nonNegative("maxRetryAfterMs", options.maxRetryAfterMs ?? 60_000),
      deadCooldownMs: nonNegative("deadCooldownMs", options.deadCooldownMs ?? 5000),
      failuresBeforeEjection: positiveInt("failuresBeforeEjection", options.failuresBeforeEjection ?? 3),
      maxAffinityKeys: positiveInt("maxAffinityKeys", options.maxAffinityKeys ?? 100_000),
    };
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.onRetry = options.onRetry;
    this.baseURLs = normalized;
    this.endpoints = normalized.map((baseURL) => ({
      baseURL,
      inFlight: 0,
      consecutiveFailures: 0,
      downUntil: 0,
      downStreak: 0,
    }));
  }

  /**
   * Runs `fn` against an endpoint, retrying and failing over as described on the class.
   * @throws OpenAIPolicyError `timeout`, `connection` or `http-error` once retries are spent (the last failure is
   *   the `cause`), `aborted` when `signal` aborts; any other error `fn` throws is passed through unchanged.
   */
  async run<T>(fn: (baseURL: string) => Promise<T>, options: EndpointCallOptions = {}): Promise<T> {
    const label = options.label ?? "request";
    const maxAttempts = this.settings.maxRetries + 1;
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw abortedError(label, attempt, options.signal.reason);
      const endpoint = this.pick(options.affinityKey);
      endpoint.inFlight++;
      let failure: unknown;
      try {
        const result = await fn(endpoint.baseURL);
        this.markSuccess(endpoint);
        return result;
      } catch (error) {
        failure = error;
      } finally {
        endpoint.inFlight--;
      }
      if (options.signal?.aborted) throw abortedError(label, attempt + 1, failure);
      const kind = classifyFailure(failure, this.now());
      if (kind.status === undefined && !kind.retryable) {
        if (failure instanceof APIUserAbortError) {
          throw abortedError(label, attempt + 1, failure);
        }
        throw failure;
      }
      // A 4xx other than 408/429 is the request's fault, not the endpoint's: it does not count against it.
      if (kind.retryable) this.markFailure(endpoint, kind.endpointDown);
      if (!kind.retryable || attempt + 1 >= maxAttempts) {
        throw finalError(label, endpoint.baseURL, attempt + 1, failure, kind.status);
      }
      const backoff = backoffDelayMs(attempt, this.settings, this.random());
      const wait =
        kind.retryAfterMs === undefined
          ? backoff
          : Math.min(kind.retryAfterMs, this.settings.maxRetryAfterMs);
      this.onRetry?.({
        attempt: attempt + 1,
        baseURL: endpoint.baseURL,
        status: kind.status,
        delayMs: wait,
        error: failure,
      });
      try {
        await sleep(wait, options.signal);
      } catch (reason) {
        throw abortedError(label, attempt + 1, reason);
      }
    }
  }

  /** The endpoints' current state, in the order given. */
  snapshot(): EndpointState[] {
    const now = this.now();
    return this.endpoints.map((e) => ({
      baseURL: e.baseURL,
      healthy: e.downUntil <= now,
      inFlight: e.inFlight,
      consecutiveFailures: e.consecutiveFailures,
      downUntil: e.downUntil,
    }));
  }

  /** The endpoint an affinity key is pinned to, if any. */
  endpointFor(affinityKey: string): string | undefined {
    return this.affinity.get(affinityKey)?.baseURL;
  }

  /** Forgets an affinity key (call when its trajectory ends, to keep the table small). */
  release(affinityKey: string): void {
    this.affinity.delete(affinityKey);
  }

  private pick(affinityKey: string | undefined): Endpoint {
    const now = this.now();
    if (affinityKey !== undefined) {
      const pinned = this.affinity.get(affinityKey);
      if (pinned !== undefined && pinned.downUntil <= now) {
        // Re-insert so the map's order is least-recently-used first.
        this.affinity.delete(affinityKey);
        this.affinity.set(affinityKey, pinned);
        return pinned;
      }
    }
    const chosen = this.leastLoaded(now);
    if (affinityKey !== undefined) {
      this.affinity.delete(affinityKey);
      this.affinity.set(affinityKey, chosen);
      if (this.affinity.size > this.settings.maxAffinityKeys) {
        const oldest = this.affinity.keys().next().value;
        if (oldest !== undefined) this.affinity.delete(oldest);
      }
    }
    return chosen;
  }

  private leastLoaded(now: number): Endpoint {
    const healthy = this.endpoints.filter((e) => e.downUntil <= now);
    if (healthy.length === 0) {
      return this.endpoints.reduce((best, e) => (e.downUntil < best.downUntil ? e : best));
    }
    const fewest = Math.min(...healthy.map((e) => e.inFlight));
    const n = this.endpoints.length;
    for (let step = 0; step < n; step++) {
      const candidate = this.endpoints[(this.cursor + step) % n]!;
      if (candidate.downUntil <= now && candidate.inFlight === fewest) {
        this.cursor = (this.cursor + step + 1) % n;
        return candidate;
      }
    }
    return healthy[0]!;
  }

  private markSuccess(endpoint: Endpoint): void {
    endpoint.consecutiveFailures = 0;
    endpoint.downUntil = 0;
    endpoint.downStreak = 0;
  }

  private markFailure(endpoint: Endpoint, endpointDown: boolean): void {
    endpoint.consecutiveFailures++;
    if (endpointDown || endpoint.consecutiveFailures >= this.settings.failuresBeforeEjection) {
      const cooldown = Math.min(
        this.settings.deadCooldownMs * 2 ** endpoint.downStreak,
        16 * this.settings.deadCooldownMs,
      );
      endpoint.downUntil = this.now() + cooldown;
      endpoint.downStreak++;
    }
  }
}

function abortedError(label: string, attempts: number, cause: unknown): OpenAIPolicyError {
  return new OpenAIPolicyError("aborted", `${label} was aborted by the caller's signal.`, {
    attempts,
    cause,
  });
}

function finalError(
  label: string,
  baseURL: string,
  attempts: number,
  cause: unknown,
  status: number | undefined,
): OpenAIPolicyError {
  const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof APIConnectionTimeoutError) {
    return new OpenAIPolicyError(
      "timeout",
      `${label} to ${baseURL} timed out (${tries}): ${detail} Raise timeoutMs, or check that the server is not stuck.`,
      { attempts, cause },
    );
  }
  if (status === undefined) {
    return new OpenAIPolicyError(
      "connection",
      `${label} to ${baseURL} could not connect (${tries}): ${detail} Check that the server is up and the baseURL is right.`,
      { attempts, cause },
    );
  }
  return new OpenAIPolicyError(
    "http-error",
    `${label} to ${baseURL} failed with HTTP ${status} (${tries}): ${detail}`,
    { status, attempts, cause },
  );
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new OpenAIPolicyError(
      "invalid-options",
      `EndpointPool: ${name} must be a finite number ≥ 0, got ${value}.`,
    );
  }
  return value;
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new OpenAIPolicyError(
      "invalid-options",
      `EndpointPool: ${name} must be an integer ≥ 0, got ${value}.`,
    );
  }
  return value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new OpenAIPolicyError(
      "invalid-options",
      `EndpointPool: ${name} must be an integer ≥ 1, got ${value}.`,
    );
  }
  return value;
}
