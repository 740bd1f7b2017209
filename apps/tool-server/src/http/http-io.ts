import type { IncomingMessage, ServerResponse } from "node:http";
import { jsonTextNestsDeeper } from "@hdpo/tools";
import { capMessage, HttpError } from "./http-error";

/** How {@link readBody} bounds an upload. */
export interface BodyLimits {
  /** Largest body (bytes); more is a 413. */
  maxBytes: number;
  /** Longest pause between two chunks of the body (ms); longer is a 408. */
  idleTimeoutMs: number;
}

/**
 * Reads a request body of at most `maxBytes`. A declared or streamed size over the limit is a 413; a client that
 * stops sending for `idleTimeoutMs` is a 408 (a slow upload must not hold a slot for ever). Either way the rest of
 * the upload is not read, and the connection is closed after the answer so the client stops sending.
 */
export function readBody(request: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const { maxBytes, idleTimeoutMs } = limits;
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // One timer re-armed per chunk (refresh is cheap), not one per chunk.
    const timer = setTimeout(() => {
      finish(
        new HttpError(
          408,
          `Request body stalled: no bytes for ${idleTimeoutMs / 1000} s; send the body without pauses (or raise --body-timeout).`,
          { connection: "close" },
        ),
      );
    }, idleTimeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
      timer.refresh();
    };
    const onEnd = () => finish(undefined);
    const onError = (error: Error) =>
      finish(new HttpError(400, `Request body could not be read: ${error.message}`, { connection: "close" }));
    const onClose = () =>
      finish(
        new HttpError(400, "The client closed the connection before the body ended.", {
          connection: "close",
        }),
      );
    const finish = (error: HttpError | undefined) => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
      if (error === undefined) {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      } else {
        // Stop buffering what the client still sends; the answer closes the connection.
        request.pause();
        reject(error);
      }
    };
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", onError);
    request.once("close", onClose);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    `Request body exceeds ${limit} bytes; send fewer trajectories per request or raise --max-body-bytes.`,
    { connection: "close" },
  );
}

/**
 * Parses JSON as FastAPI does: invalid JSON is a 422 with `type: "json_invalid"` (not a 400), so a verl-tool client
 * sees the same status for every malformed request. Nesting deeper than `maxDepth` is refused before parsing (400),
 * in one linear pass over the bytes.
 */
export function parseJson(body: Buffer, maxDepth: number): unknown {
  if (jsonTextNestsDeeper(body, maxDepth)) throw tooDeep(maxDepth);
  const text = body.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw HttpError.validation([
      {
        loc: ["body"],
        msg: `JSON decode error: ${(error as Error).message}; send a JSON object with Content-Type: application/json`,
        type: "json_invalid",
      },
    ]);
  }
}

/** The 400 for a body nested deeper than `maxDepth`. */
export function tooDeep(maxDepth: number): HttpError {
  return new HttpError(
    400,
    `Request body nests JSON arrays/objects deeper than ${maxDepth} levels; flatten extra_fields (or raise --max-json-depth).`,
  );
}

/** Sends `body` as JSON with `status` and extra headers. Throws when `body` cannot be serialized. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonText(response, status, JSON.stringify(body), headers);
}

/** Sends already-serialized JSON. */
export function sendJsonText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  response.end(text);
}

/**
 * Sends an `HttpError` in FastAPI's shape; anything else is the reference's 500 "Processing failed: …". Total: it
 * never throws, and when no answer can be written (headers already out, a socket gone, a body that will not
 * serialize) it ends the connection instead, so a request never hangs and an error never escapes.
 */
export function sendError(response: ServerResponse, error: unknown): void {
  try {
    const httpError =
      error instanceof HttpError ? error : new HttpError(500, `Processing failed: ${describe(error)}`);
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    let text: string;
    try {
      text = JSON.stringify({ detail: httpError.detail });
    } catch {
      text = JSON.stringify({ detail: "Processing failed: the error could not be serialized" });
    }
    sendJsonText(response, httpError.status, text, httpError.headers);
  } catch {
    response.destroy();
  }
}

/** The message of a thrown value, never throwing itself (a hostile `toString` or a getter may). */
export function describe(error: unknown): string {
  try {
    return capMessage(error instanceof Error ? String(error.message) : String(error));
  } catch {
    return "an error that cannot be described";
  }
}
