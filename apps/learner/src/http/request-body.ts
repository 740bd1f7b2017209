import type { IncomingMessage } from "node:http";
import { parseJsonBody, readBody } from "@hdpo/http";

/** How hdpo-learner bounds an upload (@hdpo/http's limits; the advice in its errors is the learner's). */
export interface BodyLimits {
  /** Largest body (bytes); more is a 413. */
  maxBytes: number;
  /** Longest pause between two chunks of the body (ms); longer is a 408. */
  idleTimeoutMs: number;
}

/**
 * Reads a bounded body and parses it as FastAPI does (@hdpo/http): a 413 says how to split a batch, a too deep body
 * is a 400 saying how deep Tinker requests go, invalid JSON a 422 whose entry carries `input` like every other.
 */
export async function readJsonRequest(
  request: IncomingMessage,
  limits: BodyLimits,
  maxDepth: number,
): Promise<unknown> {
  const body = await readBody(request, {
    ...limits,
    tooLargeAdvice:
      "split the batch into several requests (gradients accumulate until optim_step) or raise --max-body-bytes",
  });
  return parseJsonBody(body, {
    maxDepth,
    tooDeepAdvice: "Tinker requests nest about 6 (or raise --max-json-depth)",
    reportInput: true,
  });
}
