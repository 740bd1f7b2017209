import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";

/** How a failed request is treated by the endpoint pool. */
export interface FailureKind {
  /** Worth another attempt (429, 5xx, connection errors, timeouts). */
  retryable: boolean;
  /** The endpoint itself looks down (connection refused/reset, timeout): take it out of rotation. */
  endpointDown: boolean;
  /** Server-requested wait (`retry-after-ms` / `Retry-After`), when given. */
  retryAfterMs: number | undefined;
  status: number | undefined;
}

/** Classifies an error thrown by the `openai` client (or by anything else a pooled call throws). */
export function classifyFailure(error: unknown, now: number = Date.now()): FailureKind {
  if (error instanceof APIUserAbortError) {
    return { retryable: false, endpointDown: false, retryAfterMs: undefined, status: undefined };
  }
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    return { retryable: true, endpointDown: true, retryAfterMs: undefined, status: undefined };
  }
  if (error instanceof APIError) {
    const status = error.status;
    const retryable = status === 408 || status === 429 || (status !== undefined && status >= 500);
    return { retryable, endpointDown: false, retryAfterMs: retryAfterMs(error.headers, now), status };
  }
  return { retryable: false, endpointDown: false, retryAfterMs: undefined, status: undefined };
}

/**
 * Reads `retry-after-ms` (OpenAI's extension) or `Retry-After` (seconds or an HTTP date) from response headers.
 * Returns undefined when absent or unreadable; never a negative or non-finite number.
 */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "") {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers.get("retry-after");
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Settings of {@link backoffDelayMs}. */
export interface BackoffSettings {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before retry number `attempt` (0-based): exponential `base·2^attempt` capped at `maxDelayMs`, with
 * "equal jitter" (half fixed, half uniform) so that replicas' clients do not retry in lockstep. `random` is in [0, 1).
 */
export function backoffDelayMs(attempt: number, settings: BackoffSettings, random: number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** attempt);
  return ceiling / 2 + (ceiling / 2) * random;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
