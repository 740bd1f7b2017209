import type { Observation, ToolExecutor, ToolRequestExtra } from "@hdpo/core";
import { AgentLoopError, requireNonNegativeInt, requirePositiveInt } from "./rollout-error";

/** The fetch the executor uses; injectable for tests and custom agents. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of `RemoteToolExecutor`. */
export interface RemoteToolExecutorOptions {
  /** Server base URL (`REMOTE_TOOL_SERVER_URL`), e.g. `http://127.0.0.1:30569`; a URL ending in `/get_observation` is used as is. */
  url: string;
  /** Per attempt; default 400 000 ms (`tool_call_timeout` 400 s in `train_metis.sh`). */
  timeoutMs?: number;
  /** Extra attempts after a failure; default 1 (`tool_call_max_retries`), so 2 attempts in all. */
  retries?: number;
  fetch?: FetchLike;
}

const OBSERVATION_PATH = "/get_observation";

/**
 * A `ToolExecutor` over a verl-tool server (metis-protocol.md §1): one POST `/get_observation` per action, sessions
 * keyed by trajectory id. A request that still fails after the retries becomes the reference's observation text
 * ("Tool call timeout after <t> seconds." / "Tool server connection error: …" / "Tool call error: …") with
 * done = true and valid = false, so the trajectory ends; `execute` never rejects.
 */
export class RemoteToolExecutor implements ToolExecutor {
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly fetchImpl: FetchLike;

  constructor(options: RemoteToolExecutorOptions) {
    this.endpoint = observationEndpoint(options.url);
    this.timeoutMs = options.timeoutMs ?? 400_000;
    this.retries = options.retries ?? 1;
    requirePositiveInt(this.timeoutMs, "timeoutMs");
    requireNonNegativeInt(this.retries, "retries");
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async execute(trajectoryId: string, actionText: string, extra?: ToolRequestExtra): Promise<Observation> {
    const body = {
      trajectory_ids: [trajectoryId],
      actions: [actionText],
      finish: [false],
      is_last_step: [false],
      extra_fields: [{ ...extra }],
    };
    let failure: RequestFailure = { kind: "error", message: "no attempt was made" };
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const result = await this.post(body);
      if (result.ok) {
        const parsed = parseObservationReply(result.json);
        if (typeof parsed !== "string") return parsed;
        failure = { kind: "error", message: parsed };
      } else {
        failure = result.failure;
      }
    }
    return failureObservation(failure, this.timeoutMs);
  }

  /** Ends the server session; errors and non-200 answers are ignored (the reference's server answers 500 here). */
  async close(trajectoryId: string): Promise<void> {
    await this.post({
      trajectory_ids: [trajectoryId],
      actions: [""],
      finish: [true],
      is_last_step: [true],
    });
  }

  private async post(
    body: object,
  ): Promise<{ ok: true; json: unknown } | { ok: false; failure: RequestFailure }> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return { ok: false, failure: classifyFetchError(error) };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return { ok: false, failure: classifyFetchError(error) };
    }
    if (!response.ok) {
      return {
        ok: false,
        failure: { kind: "error", message: `HTTP ${response.status}: ${text.slice(0, 500)}` },
      };
    }
    try {
      return { ok: true, json: JSON.parse(text) };
    } catch {
      return { ok: false, failure: { kind: "error", message: `reply is not JSON: ${text.slice(0, 200)}` } };
    }
  }
}

type RequestFailure =
  | { kind: "timeout" }
  | { kind: "connection"; message: string }
  | { kind: "error"; message: string };

function observationEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentLoopError(
      `RemoteToolExecutor: url "${url}" is not a valid URL; give the tool server's base, e.g. http://127.0.0.1:30569.`,
    );
  }
  if (parsed.pathname.endsWith(OBSERVATION_PATH)) return parsed.toString();
  parsed.pathname = parsed.pathname.replace(/\/+$/, "") + OBSERVATION_PATH;
  return parsed.toString();
}

function classifyFetchError(error: unknown): RequestFailure {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return { kind: "timeout" };
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  const message = (error instanceof Error ? error.message : String(error)) + cause;
  return { kind: "connection", message };
}

/** The reference agent's observation for a request that failed after all attempts. */
function failureObservation(failure: RequestFailure, timeoutMs: number): Observation {
  let text: string;
  switch (failure.kind) {
    case "timeout":
      text = `Tool call timeout after ${timeoutMs / 1000} seconds.`;
      break;
    case "connection":
      text = `Tool server connection error: ${failure.message}`;
      break;
    case "error":
      text = `Tool call error: ${failure.message}`;
      break;
  }
  return { text, valid: false, done: true, error: text };
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
