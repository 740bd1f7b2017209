import type { Observation, ToolExecutor, ToolRequestExtra } from "@hdpo/core";
import { isHttpUrl } from "./http-url";
import { InfrastructureError, isServiceFailureStatus } from "./infrastructure-error";
import { failedObservation } from "./observation";
import { AgentLoopError, requireNonNegativeInt, requirePositiveInt } from "./rollout-error";

/** The fetch the executor uses; injectable for tests and custom agents. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of `RemoteToolExecutor`. */
export interface RemoteToolExecutorOptions {
  /** Server base URL (`REMOTE_TOOL_SERVER_URL`), e.g. `http://127.0.0.1:30569`; a URL ending in `/get_observation` is used as is. */
  url: string;
  /** Per attempt; default 400 000 ms (`tool_call_timeout` 400 s in `train_metis.sh`). */
  timeoutMs?: number;
  /** Extra attempts after a failure of the server; default 1 (`tool_call_max_retries`), so 2 attempts in all. */
  retries?: number;
  /** Wait before a retry, doubled before each later one; default 500 ms. */
  retryDelayMs?: number;
  /** Largest reply read; a longer one is a malformed reply. Default 64 MiB. */
  maxReplyBytes?: number;
  fetch?: FetchLike;
}

const OBSERVATION_PATH = "/get_observation";
/** How a verl-tool server's per-entry error starts when the server, not the tool's user code, failed (metis-protocol.md §1). */
const PROCESSING_FAILED = "Tool processing failed:";
/** A close is best effort: a hung server must not hold a finished trajectory for the whole call timeout. */
const CLOSE_TIMEOUT_MS = 30_000;

/**
 * A `ToolExecutor` over a verl-tool server (metis-protocol.md §1): one POST `/get_observation` per action, sessions
 * keyed by trajectory id. What the server answers is the tool's observation, errors included. A server that
 * rejects the one request (HTTP 400, 413, 422: the action is at fault) gives the observation "Tool call error:
 * HTTP <status>: …" with done = true, as the reference. A server that cannot be reached, does not answer within
 * `timeoutMs`, answers 5xx (or 401/404/429) or sends a malformed reply after the retries is an outage, not an
 * observation: `execute` rejects with an {@link InfrastructureError} (service "tool-server"), so the trajectory
 * is never scored as the model's failure (the reference turned these into observations the model saw).
 */
export class RemoteToolExecutor implements ToolExecutor {
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly maxReplyBytes: number;
  private readonly fetchImpl: FetchLike;

  constructor(options: RemoteToolExecutorOptions) {
    this.endpoint = observationEndpoint(options.url);
    this.timeoutMs = options.timeoutMs ?? 400_000;
    this.retries = options.retries ?? 1;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxReplyBytes = options.maxReplyBytes ?? 64 * 1024 * 1024;
    requirePositiveInt(this.timeoutMs, "timeoutMs");
    requireNonNegativeInt(this.retries, "retries");
    requireNonNegativeInt(this.retryDelayMs, "retryDelayMs");
    requirePositiveInt(this.maxReplyBytes, "maxReplyBytes");
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * @throws InfrastructureError when the server failed (see the class); never for what a tool answered.
   */
  async execute(trajectoryId: string, actionText: string, extra?: ToolRequestExtra): Promise<Observation> {
    const body = {
      trajectory_ids: [trajectoryId],
      actions: [actionText],
      finish: [false],
      is_last_step: [false],
      extra_fields: [{ ...extra }],
    };
    let failure = "no attempt was made";
    const attempts = this.retries + 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(this.retryDelayMs * 2 ** (attempt - 1));
      const result = await this.post(body, this.timeoutMs);
      if (result.kind === "reply") {
        const parsed = parseObservationReply(result.json);
        if (typeof parsed === "string") {
          failure = `sent a malformed reply (${parsed})`;
        } else if (parsed.error?.startsWith(PROCESSING_FAILED) === true) {
          // The server could not process this entry (overloaded, its runtime failed, the reply did not fit): the
          // server's failure, not the model's. Not retried: the call may have run, and running it twice would
          // change the session; the whole trajectory is retried instead.
          throw new InfrastructureError(
            "tool-server",
            `the tool server at ${this.endpoint} could not process a call: ${parsed.error.slice(PROCESSING_FAILED.length).trim().slice(0, 300)}`,
            { endpoint: this.endpoint },
          );
        } else {
          return parsed;
        }
      } else if (result.kind === "rejected") {
        // The server is up and refused this request: what the model wrote is at fault, and asking again cannot help.
        return failedObservation(`HTTP ${result.status}: ${result.text}`);
      } else {
        failure = result.failure;
      }
    }
    throw new InfrastructureError(
      "tool-server",
      `the tool server at ${this.endpoint} ${failure} (${attempts} attempt${attempts === 1 ? "" : "s"}); check that it is running and that the URL is right.`,
      { endpoint: this.endpoint },
    );
  }

  /** Ends the server session; errors and non-200 answers are ignored (the reference's server answers 500 here). */
  async close(trajectoryId: string): Promise<void> {
    await this.post(
      { trajectory_ids: [trajectoryId], actions: [""], finish: [true], is_last_step: [true] },
      Math.min(this.timeoutMs, CLOSE_TIMEOUT_MS),
    );
  }

  private async post(body: object, timeoutMs: number): Promise<PostResult> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      return { kind: "failed", failure: describeFetchError(error, timeoutMs) };
    }
    let text: string;
    try {
      const read = await readCapped(response, this.maxReplyBytes);
      if (read === undefined) {
        return { kind: "failed", failure: `sent a reply larger than ${this.maxReplyBytes} bytes` };
      }
      text = read;
    } catch (error) {
      return { kind: "failed", failure: describeFetchError(error, timeoutMs) };
    }
    if (!response.ok) {
      const excerpt = text.slice(0, 500);
      if (isServiceFailureStatus(response.status)) {
        return { kind: "failed", failure: `answered HTTP ${response.status}: ${excerpt}` };
      }
      return { kind: "rejected", status: response.status, text: excerpt };
    }
    try {
      return { kind: "reply", json: JSON.parse(text) };
    } catch {
      return { kind: "failed", failure: `sent a reply that is not JSON: ${text.slice(0, 200)}` };
    }
  }
}

type PostResult =
  | { kind: "reply"; json: unknown }
  /** A 4xx for this request only. */
  | { kind: "rejected"; status: number; text: string }
  /** The server failed: `failure` completes "the tool server at URL …". */
  | { kind: "failed"; failure: string };

function observationEndpoint(url: string): string {
  if (!isHttpUrl(url)) {
    throw new AgentLoopError(
      `RemoteToolExecutor: url "${url}" is not an http(s) URL; give the tool server's base, e.g. http://127.0.0.1:30569.`,
    );
  }
  const parsed = new URL(url);
  if (parsed.pathname.endsWith(OBSERVATION_PATH)) return parsed.toString();
  parsed.pathname = parsed.pathname.replace(/\/+$/, "") + OBSERVATION_PATH;
  return parsed.toString();
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return `did not answer within ${timeoutMs / 1000} s`;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `could not be reached (${(error instanceof Error ? error.message : String(error)) + cause})`;
}

/** The body as text, or undefined once it passes `maxBytes` (the rest is not read). */
async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

type MetricValue = number | boolean | string;

/**
 * Reads a 200 reply `{observations, dones, valids}` for one trajectory. An observation is a string ("" for an
 * unparseable action) or `{obs, image?, metrics?, timeout?, error?, tool_type?}`. Returns an error message for a
 * reply that does not have that shape.
 */
export function parseObservationReply(json: unknown): Observation | string {
  if (typeof json !== "object" || json === null) return "reply is not a JSON object";
  const { observations, dones, valids } = json as {
    observations?: unknown;
    dones?: unknown;
    valids?: unknown;
  };
  if (!Array.isArray(observations) || observations.length !== 1) {
    return "reply lacks observations[] with exactly one entry";
  }
  const done = Array.isArray(dones) ? Boolean(dones[0]) : false;
  const valid = Array.isArray(valids) ? Boolean(valids[0]) : true;
  const raw: unknown = observations[0];
  if (typeof raw === "string") return { text: raw, valid, done };
  if (typeof raw !== "object" || raw === null) return "observation is neither a string nor an object";
  const record = raw as Record<string, unknown>;
  if (typeof record.obs !== "string") return "observation object lacks a string `obs`";
  const observation: Observation = { text: record.obs, valid, done };
  const images = Array.isArray(record.image)
    ? record.image.filter((x): x is string => typeof x === "string" && x.length > 0)
    : typeof record.image === "string" && record.image.length > 0
      ? [record.image]
      : [];
  if (images.length > 0) observation.images = images;
  const metrics: Record<string, MetricValue> = {};
  if (typeof record.metrics === "object" && record.metrics !== null) {
    for (const [key, value] of Object.entries(record.metrics)) {
      if (typeof value === "number" || typeof value === "boolean" || typeof value === "string")
        metrics[key] = value;
    }
  }
  if (typeof record.timeout === "boolean") metrics.timeout = record.timeout;
  if (Object.keys(metrics).length > 0) observation.metrics = metrics;
  if (typeof record.tool_type === "string") observation.toolName = record.tool_type;
  if (typeof record.error === "string") observation.error = record.error;
  return observation;
}
