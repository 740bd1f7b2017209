import { redactSecrets } from "./redact-secrets";
import { SearchRequestError } from "./search-provider";

/** Largest provider answer read; a Google results page as JSON is a few hundred kB. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Characters of an error body quoted in a failure text. */
const ERROR_EXCERPT_CHARS = 200;

export interface ProviderHttpRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Values to scrub from every failure text (API keys, tokens). */
  secrets: readonly (string | undefined)[];
}

/**
 * One HTTP request to a hosted search API that answers JSON. Resolves with the parsed JSON of a 2xx answer;
 * every other outcome rejects with a `SearchRequestError` whose message says what happened, without secrets.
 * A timeout says "timeout" (the tool's `timeout` flag is the substring "timeout" in the observation).
 */
export async function requestProviderJson(request: ProviderHttpRequest): Promise<unknown> {
  const fail = (reason: string): never => {
    throw new SearchRequestError(redactSecrets(reason, request.secrets));
  };
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
  const seconds = formatSeconds(request.timeoutMs);
  let response: Response;
  let bodyText: string;
  try {
    const init: RequestInit = { method: request.method, signal };
    if (request.headers !== undefined) init.headers = request.headers;
    if (request.body !== undefined) init.body = JSON.stringify(request.body);
    response = await fetch(request.url, init);
    bodyText = await readCapped(response);
  } catch (error) {
    if (timeout.aborted) return fail(`timeout: no complete answer within ${seconds} s`);
    if (request.signal?.aborted) return fail("cancelled by the caller");
    return fail(describeNetworkError(error));
  }
  if (!response.ok) {
    const detail = errorDetail(bodyText);
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    return fail(detail === "" ? status : `${status}: ${detail}`);
  }
  try {
    return JSON.parse(bodyText);
  } catch {
    const type = response.headers.get("content-type") ?? "no content-type";
    return fail(`the answer is not JSON (HTTP ${response.status}, ${type}): ${excerpt(bodyText)}`);
  }
}

async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new SearchRequestError(`the answer is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describeNetworkError(error: unknown): string {
  if (error instanceof SearchRequestError) return error.message;
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${error.message} (${code !== undefined ? `${code}: ` : ""}${cause.message})`;
  }
  return error.message;
}

/** The most useful part of an error body: its JSON `error`/`message` field, else its start. */
function errorDetail(bodyText: string): string {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed === "object" && parsed !== null) {
      const { error, message } = parsed as { error?: unknown; message?: unknown };
      const field = error ?? message;
      if (typeof field === "string") return excerpt(field);
      if (field !== undefined) return excerpt(JSON.stringify(field));
    }
  } catch {
    // not JSON: quote the text itself
  }
  return excerpt(bodyText);
}

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > ERROR_EXCERPT_CHARS ? `${oneLine.slice(0, ERROR_EXCERPT_CHARS)}...` : oneLine;
}

function formatSeconds(ms: number): string {
  return Number.isInteger(ms / 1000) ? String(ms / 1000) : (ms / 1000).toFixed(1);
}
