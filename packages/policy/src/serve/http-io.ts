import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "@hdpo/http";
import { OpenAiApiError } from "./openai-api-error";

/** Largest request body accepted (a long multi-turn chat fits many times over). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Reads and parses a JSON request body; a 400 for invalid JSON, a 413 for an oversized body. */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new OpenAiApiError(
        413,
        `The request body exceeds ${MAX_BODY_BYTES} bytes.`,
        "invalid_request_error",
      );
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw OpenAiApiError.badRequest(
      `The request body is not valid JSON (${(error as Error).message}); send a JSON object with Content-Type: application/json.`,
      null,
      "invalid_json",
    );
  }
}

/** Sends an error in OpenAI's shape; anything that is not an `OpenAiApiError` is a 500. */
export function sendError(response: ServerResponse, error: unknown): void {
  const apiError =
    error instanceof OpenAiApiError
      ? error
      : new OpenAiApiError(
          500,
          `Internal server error: ${error instanceof Error ? error.message : String(error)}`,
          "server_error",
        );
  if (response.headersSent) {
    // Mid-stream: the status is gone, so report in-band as OpenAI does and end the stream.
    writeEvent(response, apiError.toBody());
    response.end();
    return;
  }
  sendJson(response, apiError.status, apiError.toBody());
}

/** Starts a server-sent-events response. */
export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
}

/** Writes one `data: {…}` event. */
export function writeEvent(response: ServerResponse, data: unknown): void {
  response.write(`data: ${JSON.stringify(data)}\n\n`);
}

/** Ends an event stream with OpenAI's `data: [DONE]`. */
export function endEventStream(response: ServerResponse): void {
  response.write("data: [DONE]\n\n");
  response.end();
}
