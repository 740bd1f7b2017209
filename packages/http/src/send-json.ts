import type { ServerResponse } from "node:http";
import { describeError } from "./describe-error";
import { HttpError } from "./http-error";

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
 * Sends an `HttpError` in FastAPI's shape; anything else is a 500 `"<internalPrefix>: <its message>"`. Total: it
 * never throws, and when no answer can be written (headers already out, a socket gone, a body that will not
 * serialize) it ends the connection instead, so a request never hangs and an error never escapes.
 */
export function sendError(response: ServerResponse, error: unknown, internalPrefix = "Internal error"): void {
  try {
    const httpError =
      error instanceof HttpError ? error : new HttpError(500, `${internalPrefix}: ${describeError(error)}`);
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    let text: string;
    try {
      text = JSON.stringify({ detail: httpError.detail });
    } catch {
      text = JSON.stringify({ detail: `${internalPrefix}: the error could not be serialized` });
    }
    sendJsonText(response, httpError.status, text, httpError.headers);
  } catch {
    response.destroy();
  }
}
