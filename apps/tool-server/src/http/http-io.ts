import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http-error";

/**
 * Reads a request body of at most `limit` bytes. A declared or streamed size over the limit is a 413 (the rest of
 * the upload is not read, and the connection is closed after the answer so the client stops sending).
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
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
 * sees the same status for every malformed request.
 */
export function parseJson(body: Buffer): unknown {
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

/** Sends `body` as JSON with `status` and extra headers. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  response.end(text);
}

/** Sends an `HttpError` in FastAPI's shape; anything else is the reference's 500 "Processing failed: …". */
export function sendError(response: ServerResponse, error: unknown): void {
  const httpError =
    error instanceof HttpError
      ? error
      : new HttpError(500, `Processing failed: ${error instanceof Error ? error.message : String(error)}`);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, httpError.status, { detail: httpError.detail }, httpError.headers);
}
