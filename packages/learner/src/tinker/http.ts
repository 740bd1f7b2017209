import type { z } from "zod";
import { LearnerError } from "../learner-error";
import { ErrorBodySchema } from "./protocol";

/** How {@link TinkerHttp} talks to the server. */
export interface TinkerHttpOptions {
  /** The server's root, e.g. `http://127.0.0.1:8000` (routes are under `/api/v1`). */
  baseUrl: string;
  /** Sent as `X-API-Key`, the header the Tinker SDK sends; never put in a message. */
  apiKey: string;
  fetch: typeof fetch;
  /** Limit of one HTTP exchange (request and body), in milliseconds. */
  requestTimeoutMs: number;
  /** How many times an idempotent request is repeated after a network error, a timeout, a 429 or a 5xx. */
  retries: number;
  /** The first pause before a retry; it doubles on each retry, up to {@link maxRetryDelayMs}. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** A reply body larger than this is refused (the bytes are the server's, not ours to trust). */
  maxResponseBytes: number;
}

/** One HTTP exchange's outcome, before any retry policy. */
export type HttpAttempt =
  | { kind: "response"; status: number; body: unknown }
  | { kind: "timeout" }
  | { kind: "network"; cause: string };

/** A request: what it is for (in messages), whether repeating it is safe. */
export interface RequestSpec {
  what: string;
  /** True only where the server cannot do the work twice (reads, or POSTs it deduplicates by `seq_id`). */
  idempotent: boolean;
}

/** No answer came back (network error or timeout), after the retries the request allows. */
export class NoAnswerError extends LearnerError {
  constructor(
    message: string,
    /** The last failure, short: an errno code, "no answer within N ms", … */
    readonly reason: string,
  ) {
    super(message);
  }
}

export const RETRIED_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
const MAX_DETAIL_CHARS = 400;

/** JSON over HTTP to a Tinker server: timeouts, bounded bodies, retries with backoff, errors as one line. */
export class TinkerHttp {
  readonly baseUrl: string;

  constructor(private readonly options: TinkerHttpOptions) {
    this.baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl.slice(0, -1) : options.baseUrl;
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Headers of every request to this server. */
  headers(json: boolean): Record<string, string> {
    return {
      "X-API-Key": this.options.apiKey,
      // JSON only: SkyRL answers protobuf to clients that accept it (spec §2.20).
      Accept: "application/json",
      ...(json ? { "Content-Type": "application/json" } : {}),
    };
  }

  /** The fetch, the timeout and the retries of this server, for streamed downloads. */
  get transport(): Pick<TinkerHttpOptions, "fetch" | "requestTimeoutMs" | "retries"> {
    return this.options;
  }

  /** One exchange: no retry, the body read within the timeout and the size cap, parsed as JSON when any. */
  async attempt(method: "GET" | "POST", path: string, body?: unknown): Promise<HttpAttempt> {
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs);
    try {
      const response = await this.options.fetch(this.url(path), {
        method,
        headers: this.headers(body !== undefined),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
        redirect: "error",
      });
      const text = await readBounded(response, this.options.maxResponseBytes, path);
      return { kind: "response", status: response.status, body: parseJson(text) };
    } catch (error) {
      if (error instanceof LearnerError) throw error;
      if (signal.aborted) return { kind: "timeout" };
      return { kind: "network", cause: causeOf(error) };
    }
  }

  /**
   * An exchange under the retry policy: an idempotent request is repeated after network errors, timeouts, 429 and
   * 5xx answers, with exponential backoff; any other request is sent once, since the server may have done the work
   * before the connection broke. Resolves to the last answer, whatever its status.
   *
   * @throws LearnerError when no answer came back.
   */
  async send(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    spec: RequestSpec,
  ): Promise<{ status: number; body: unknown }> {
    const tries = spec.idempotent ? this.options.retries + 1 : 1;
    let last: HttpAttempt = { kind: "network", cause: "not sent" };
    for (let attempt = 0; attempt < tries; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt - 1));
      last = await this.attempt(method, path, body);
      if (last.kind === "response" && !RETRIED_STATUS.has(last.status)) return last;
    }
    if (last.kind === "response") return last;
    const reason =
      last.kind === "timeout" ? `no answer within ${this.options.requestTimeoutMs} ms` : last.cause;
    const after = tries > 1 ? ` after ${tries} tries` : "";
    // A request that is not safe to repeat may have been carried out before its answer was lost: say so, rather
    // than suggest retries that do not apply to it.
    const advice = spec.idempotent
      ? "check that it runs and that baseUrl is right, or raise requestTimeoutMs/retries."
      : "it was not resent, since the server may have done it already; check the server before trying again.";
    throw new NoAnswerError(
      `${spec.what}: the Tinker server at ${this.url(path)} did not answer${after} (${reason}); ${advice}`,
      reason,
    );
  }

  /**
   * {@link send}, then a 2xx answer checked against `schema`.
   *
   * @throws LearnerError with the server's detail on another status, or naming the field that does not match.
   */
  async call<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    schema: S,
    spec: RequestSpec,
  ): Promise<z.infer<S>> {
    const answer = await this.send(method, path, body, spec);
    if (answer.status < 200 || answer.status >= 300) {
      throw new LearnerError(statusMessage(spec.what, this.url(path), answer.status, answer.body));
    }
    return parseAnswer(schema, answer.body, spec.what, this.url(path));
  }

  /** The pause before retry number `retry + 1`: doubling from the first delay, capped, with jitter. */
  backoff(retry: number): number {
    const full = Math.min(this.options.maxRetryDelayMs, this.options.retryDelayMs * 2 ** retry);
    // Half fixed, half random: clients that failed together do not all come back at the same instant.
    return full / 2 + (Math.random() * full) / 2;
  }
}

/** Checks a 2xx body against `schema`. @throws LearnerError naming the first mismatch. */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  body: unknown,
  what: string,
  url: string,
): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? "the body" : issue.path.join(".");
  throw new LearnerError(
    `${what}: the answer of ${url} does not follow the Tinker protocol (${where}: ${clean(issue?.message ?? "invalid")}); ` +
      "the server is not a compatible Tinker server or is broken.",
  );
}

/** One line for a non-2xx answer: the status and the server's own detail. */
export function statusMessage(what: string, url: string, status: number, body: unknown): string {
  return `${what}: the server answered HTTP ${status} to ${url}: ${errorDetail(body)}`;
}

/** The server's `detail` (FastAPI's shapes), cleaned of control characters and cut short; else a placeholder. */
export function errorDetail(body: unknown): string {
  const parsed = ErrorBodySchema.safeParse(body);
  if (!parsed.success) return "(no detail)";
  const detail = parsed.data.detail;
  if (typeof detail === "string") return clean(detail);
  const parts = detail.slice(0, 3).map((item) => `${(item.loc ?? []).join(".")}: ${item.msg ?? "invalid"}`);
  return clean(parts.join("; ") + (detail.length > 3 ? ` (+${detail.length - 3} more)` : ""));
}

/** Server text made safe for a one-line message. */
export function clean(text: string): string {
  let out = "";
  for (const char of text.slice(0, MAX_DETAIL_CHARS)) {
    const code = char.codePointAt(0)!;
    out += code < 0x20 || code === 0x7f ? " " : char;
  }
  return text.length > MAX_DETAIL_CHARS ? `${out}…` : out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The body as text, refused past `max` bytes (declared or actual). */
async function readBounded(response: Response, max: number, path: string): Promise<string> {
  const tooLarge = () =>
    new LearnerError(
      `the answer to ${path} is larger than ${max} bytes; the server is broken, or raise maxResponseBytes.`,
    );
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** JSON, or undefined for an empty or non-JSON body (a proxy's HTML page, say). */
function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The most specific reason fetch gives (undici hides the socket error in `cause`). */
export function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return clean(cause.message);
  return error instanceof Error ? clean(error.message) : clean(String(error));
}
