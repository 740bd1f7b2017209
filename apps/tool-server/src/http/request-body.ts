import type { IncomingMessage } from "node:http";
import { parseJsonBody, readBody } from "@hdpo/http";

/** How the tool server bounds an upload (@hdpo/http's limits; the advice in its errors is the tool server's). */
export interface BodyLimits {
  /** Largest body (bytes); more is a 413. */
  maxBytes: number;
  /** Longest pause between two chunks of the body (ms); longer is a 408. */
  idleTimeoutMs: number;
}

/** Reads a bounded request body (@hdpo/http's `readBody`); the 413 and 408 name this server's flags. */
export function readRequestBody(request: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  return readBody(request, {
    ...limits,
    tooLargeAdvice: "send fewer trajectories per request or raise --max-body-bytes",
    stallAdvice: "send the body without pauses (or raise --body-timeout)",
  });
}

/**
 * Parses a body as FastAPI does (@hdpo/http's `parseJsonBody`): a verl-tool client sees the same 422 for every
 * malformed request; deeper nesting than `maxDepth` is a 400 that points at `extra_fields`, the one free-form part.
 */
export function parseRequestJson(body: Buffer, maxDepth: number): unknown {
  return parseJsonBody(body, { maxDepth, tooDeepAdvice: "flatten extra_fields (or raise --max-json-depth)" });
}
