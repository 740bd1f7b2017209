import type { z } from "zod";
import { LearnerError } from "../learner-error";
import { errorDetail, parseAnswer, sleep, type TinkerHttp } from "./http";
import { API_PREFIX, TryAgainSchema } from "./protocol";

/** How futures are waited for. */
export interface FuturePolling {
  /** The pause after a "not yet" answer; it doubles on each one, up to {@link maxPollDelayMs}. */
  pollDelayMs: number;
  maxPollDelayMs: number;
  /** A future still pending after this long is given up on. */
  futureTimeoutMs: number;
  /** Network errors and 429/5xx answers tolerated in a row while polling. */
  retries: number;
}

const ROUTE = `${API_PREFIX}/retrieve_future`;

/**
 * Waits for a future by long-polling `retrieve_future`: 408 (the server's hold ran out) and a 200 `try_again`
 * body (hosted Tinker) mean "still running" and are polled again after a growing pause; a client-side timeout
 * is polled again at once (the spec allows short client timeouts); 400 is the failed work's error, 404 an unknown
 * future. Polling only reads, so network errors and 5xx are retried.
 *
 * @throws LearnerError with the server's detail, or when the future is not done within `futureTimeoutMs`.
 */
export async function retrieveFuture<S extends z.ZodType>(
  http: TinkerHttp,
  requestId: string,
  schema: S,
  what: string,
  polling: FuturePolling,
): Promise<z.infer<S>> {
  const deadline = Date.now() + polling.futureTimeoutMs;
  const url = http.url(ROUTE);
  let pause = polling.pollDelayMs;
  let failures = 0;
  for (;;) {
    if (Date.now() > deadline) {
      throw new LearnerError(
        `${what}: future ${requestId} is still pending after ${polling.futureTimeoutMs} ms; the server may be ` +
          "overloaded or stuck; raise futureTimeoutMs or check the server.",
      );
    }
    const answer = await http.attempt("POST", ROUTE, { request_id: requestId });
    if (answer.kind === "timeout") continue;
    const status = answer.kind === "response" ? answer.status : 0;
    if (answer.kind === "network" || status === 429 || status >= 500) {
      failures++;
      if (failures > polling.retries) {
        const cause =
          answer.kind === "network" ? answer.cause : `HTTP ${status}: ${errorDetail(answer.body)}`;
        throw new LearnerError(
          `${what}: retrieving future ${requestId} from ${url} failed ${failures} times in a row (${cause}); ` +
            "check the server, or raise retries.",
        );
      }
      await sleep(http.backoff(failures - 1));
      continue;
    }
    failures = 0;
    const body = answer.body;
    if (status === 408 || (status === 200 && TryAgainSchema.safeParse(body).success)) {
      await sleep(pause);
      pause = Math.min(polling.maxPollDelayMs, pause * 2);
      continue;
    }
    if (status === 200) return parseAnswer(schema, body, what, url);
    if (status === 400) {
      throw new LearnerError(
        `${what}: the server failed the work (future ${requestId}): ${errorDetail(body)}`,
      );
    }
    if (status === 404) {
      throw new LearnerError(
        `${what}: the server does not know future ${requestId} (${errorDetail(body)}); it was restarted without ` +
          "its database, or this is another server; reconnect.",
      );
    }
    throw new LearnerError(
      `${what}: retrieve_future answered HTTP ${status} for future ${requestId}: ${errorDetail(body)}`,
    );
  }
}
