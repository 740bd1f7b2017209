import { LearnerError } from "../learner-error";
import { causeOf, errorDetail, RETRIED_STATUS, sleep, type TinkerHttp } from "./http";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 64 * 1024;

/**
 * GETs a checkpoint archive and streams its body. Redirects (the archive route answers 302 to its download route)
 * are followed by hand, so that the API key goes only to the server's own origin: a redirect elsewhere (a signed
 * storage URL, on hosted Tinker) is fetched without it. Getting the answer is retried like any read; the stream
 * fails when no byte arrives for the request timeout.
 *
 * @throws LearnerError with the status and the server's detail, or when no answer came back.
 */
export async function downloadArchive(
  http: TinkerHttp,
  route: string,
  what: string,
): Promise<AsyncIterable<Uint8Array>> {
  const origin = new URL(http.baseUrl).origin;
  let url = http.url(route);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sameOrigin = new URL(url).origin === origin;
    const { response, controller } = await fetchWithRetries(http, url, sameOrigin, what);
    if (REDIRECTS.has(response.status)) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      const next = location === null ? undefined : safeUrl(location, url);
      if (next === undefined) {
        throw new LearnerError(
          `${what}: ${url} redirected to ${JSON.stringify(location)}, not an http(s) URL.`,
        );
      }
      url = next;
      continue;
    }
    if (response.status !== 200 || response.body === null) {
      const text = await response.text().catch(() => "");
      let body: unknown;
      try {
        body = JSON.parse(text.slice(0, MAX_ERROR_BODY));
      } catch {
        body = undefined;
      }
      throw new LearnerError(
        `${what}: downloading the weights archive from ${url} answered HTTP ${response.status}: ${errorDetail(body)}`,
      );
    }
    return idleTimed(response.body, controller, http.transport.requestTimeoutMs, url, what);
  }
  throw new LearnerError(
    `${what}: more than ${MAX_REDIRECTS} redirects from ${http.url(route)}; the server is broken.`,
  );
}

async function fetchWithRetries(
  http: TinkerHttp,
  url: string,
  withKey: boolean,
  what: string,
): Promise<{ response: Response; controller: AbortController }> {
  const { fetch, requestTimeoutMs, retries } = http.transport;
  let reason = "";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(http.backoff(attempt - 1));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), requestTimeoutMs);
    try {
      const headers: Record<string, string> = http.headers(false);
      if (!withKey) delete headers["X-API-Key"];
      const response = await fetch(url, { headers, redirect: "manual", signal: controller.signal });
      if (!RETRIED_STATUS.has(response.status) || attempt === retries) return { response, controller };
      reason = `HTTP ${response.status}`;
      await response.body?.cancel();
    } catch (error) {
      reason = controller.signal.aborted ? `no answer within ${requestTimeoutMs} ms` : causeOf(error);
    } finally {
      clearTimeout(timer);
    }
  }
  throw new LearnerError(
    `${what}: the weights archive at ${url} could not be fetched after ${retries + 1} tries (${reason}); check the server.`,
  );
}

/** The body's chunks, failing when none arrives within `ms` (a stalled transfer must not hang the trainer). */
async function* idleTimed(
  body: ReadableStream<Uint8Array>,
  controller: AbortController,
  ms: number,
  url: string,
  what: string,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const timer = setTimeout(() => controller.abort(), ms);
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const reason = controller.signal.aborted ? `no data for ${ms} ms` : causeOf(error);
        throw new LearnerError(`${what}: the download of ${url} broke off (${reason}); try again.`);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) {
        finished = true;
        return;
      }
      yield chunk.value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

function safeUrl(location: string, base: string): string | undefined {
  try {
    const url = new URL(location, base);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}
