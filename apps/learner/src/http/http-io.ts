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
 * stops sending for `idleTimeoutMs` is a 408, so a slow upload cannot hold the server. Either way the rest of the
 * upload is not read and the connection is closed after the answer.
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
          `Request body stalled: no bytes for ${idleTimeoutMs / 1000} s; send the body without pauses.`,
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
    `Request body exceeds ${limit} bytes; split the batch into several requests (gradients accumulate until optim_step) or raise --max-body-bytes.`,
    { connection: "close" },
  );
}

/**
 * Parses a JSON body as FastAPI does: invalid JSON is a 422 `json_invalid`. Nesting deeper than `maxDepth` is refused
 * (400) in one linear pass before parsing, because everything that walks a parsed value recursively (validation,
 * `JSON.stringify`) would overflow the stack on `[[[[…`.
 */
export function parseJson(body: Buffer, maxDepth: number): unknown {
  if (jsonTextNestsDeeper(body, maxDepth)) {
    throw new HttpError(
      400,
      `Request body nests JSON arrays/objects deeper than ${maxDepth} levels; Tinker requests nest about 6 (or raise --max-json-depth).`,
    );
  }
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch (error) {
    throw HttpError.validation([
      {
        type: "json_invalid",
        loc: ["body"],
        msg: `JSON decode error: ${(error as Error).message}; send a JSON object with Content-Type: application/json`,
        input: null,
      },
    ]);
  }
}

/** Sends `body` as JSON. Throws when `body` cannot be serialized. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendJsonText(response, status, JSON.stringify(body));
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
 * Sends an `HttpError` in FastAPI's shape; anything else is a 500 naming the error. Never throws: when no answer can
 * be written (headers already out, a socket gone) it ends the connection instead, so a request never hangs.
 */
export function sendError(response: ServerResponse, error: unknown): void {
  try {
    const httpError =
      error instanceof HttpError ? error : new HttpError(500, `Internal error: ${describe(error)}`);
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    sendJsonText(response, httpError.status, JSON.stringify({ detail: httpError.detail }), httpError.headers);
  } catch {
    response.destroy();
  }
}

/** The message of a thrown value, never throwing itself. */
export function describe(error: unknown): string {
  try {
    return capMessage(error instanceof Error ? String(error.message) : String(error));
  } catch {
    return "an error that cannot be described";
  }
}
