import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, HttpError, listen, refusedOrigin, sendError, sendJson, sendJsonText } from "@hdpo/http";
import { create as createTar } from "tar";
import { LearnerServerError } from "../learner-server-error";
import type { LearnerService } from "../service/learner-service";
import { type BodyLimits, readJsonRequest } from "./request-body";
import { type Reply, ROUTES, type Route } from "./routes";

/** Options of {@link createLearnerHttpServer}. */
export interface LearnerHttpServerOptions {
  service: LearnerService;
  /** How long retrieve_future holds a request before answering 408 (spec: 300 s). */
  retrieveTimeoutMs?: number;
  /** Largest request body; more gets 413. Default 64 MiB. */
  maxBodyBytes?: number;
  /** Deepest JSON nesting of a body; deeper gets 400 before parsing. Default 64 (Tinker bodies nest about 6). */
  maxJsonDepth?: number;
  /** Longest wait for a request's headers (ms); then 408 and the connection is closed. Default 60 s. */
  headersTimeoutMs?: number;
  /** Longest time to receive a whole request (ms); the answer's time (a long poll) is not counted. Default 120 s. */
  requestTimeoutMs?: number;
  /** Longest pause between two chunks of a body (ms); then 408. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Most open connections; more are closed at once. Default 4096. */
  maxConnections?: number;
  /**
   * How long an idle keep-alive connection stays open (ms). Default 300 s. Jobs run on the event loop, so a long one
   * delays every timer: with Node's 5 s default, a client that sent its next request on a kept-alive connection while
   * a 10 s batch ran would see the connection reset when the loop came back.
   */
  keepAliveTimeoutMs?: number;
}

/** hdpo-learner's HTTP side. */
export interface LearnerHttpServer {
  /** Starts listening; port 0 picks a free one. Resolves with the base URL, e.g. `http://127.0.0.1:8000`. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops taking requests, ends open long polls, and closes the service (see LearnerService.close). */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_RETRIEVE_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_BODY_BYTES = 64 * 2 ** 20;
export const DEFAULT_MAX_JSON_DEPTH = 64;
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 300_000;
const API = "/api/v1/";

/**
 * The Tinker API over `node:http` (spec tinker-api.md §2): JSON bodies under `/api/v1`, FastAPI's error shapes.
 * Every body is size-, time- and depth-bounded before it is parsed and validated, and a failing request never stops
 * the server.
 */
export function createLearnerHttpServer(options: LearnerHttpServerOptions): LearnerHttpServer {
  const service = options.service;
  const retrieveTimeoutMs = options.retrieveTimeoutMs ?? DEFAULT_RETRIEVE_TIMEOUT_MS;
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeoutMs);
  const bodyLimits: BodyLimits = {
    maxBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    idleTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  };
  for (const [name, value] of Object.entries({
    retrieveTimeoutMs,
    maxJsonDepth,
    headersTimeoutMs,
    requestTimeoutMs,
    maxBodyBytes: bodyLimits.maxBytes,
    bodyTimeoutMs: bodyLimits.idleTimeoutMs,
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw new LearnerServerError(`${name} must be an integer ≥ 1, got ${value}`);
  }
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new LearnerServerError(
      `headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs}): the headers are part of the request`,
    );
  }
  let loopbackOnly = true;
  let closing = false;
  /** One per request in flight: aborting them on close ends every long poll at once. */
  const inFlight = new Set<AbortController>();

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refused = refusedOrigin(request, loopbackOnly);
    if (refused !== undefined) throw new HttpError(403, refused);
    if (closing)
      throw new HttpError(503, "Server is shutting down; retry once it is back.", { connection: "close" });
    const url = new URL(request.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (path === "/" && request.method === "GET") {
      sendJson(response, 200, {
        name: "hdpo-learner",
        endpoints: ROUTES.map((r) => `${r.method} ${API}${r.path}`),
      });
      return;
    }
    const found = findRoute(request.method ?? "GET", path);
    if (found === undefined) throw new HttpError(404, "Not Found");
    if (found === "method") throw new HttpError(405, "Method Not Allowed");
    const client = new AbortController();
    inFlight.add(client);
    response.once("close", () => {
      client.abort();
      inFlight.delete(client);
    });
    let body: Promise<unknown> | undefined;
    const reply = await found.route.handle({
      service,
      params: found.params,
      query: url.searchParams,
      body: () => {
        body ??= readJsonRequest(request, bodyLimits, maxJsonDepth);
        return body;
      },
      signal: client.signal,
      retrieveTimeoutMs,
    });
    send(response, reply);
  };

  const server: Server = createServer(
    { connectionsCheckingInterval: Math.min(5_000, Math.max(25, Math.floor(headersTimeoutMs / 4))) },
    (request, response) => {
      route(request, response).catch((error: unknown) => {
        if (error instanceof HttpError && error.headers.connection === "close") {
          // Stop reading the rest of an oversized or stalled upload.
          response.once("finish", () => request.destroy());
        }
        sendError(response, error);
      });
    },
  );
  // requestTimeout bounds receiving a request only, never its answer, so a 300 s long poll is unaffected.
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;

  let closed: Promise<void> | undefined;
  return {
    async listen(port, host = "127.0.0.1") {
      const listening = await listen(server, port, host);
      loopbackOnly = listening.loopback;
      return { url: listening.url, port: listening.port };
    },
    close(graceMs = 10_000) {
      closed ??= (async () => {
        closing = true;
        for (const request of inFlight) request.abort();
        await closeServer(server, () => service.close(graceMs));
      })();
      return closed;
    },
  };
}

type Found = { route: Route; params: string[] };

/** The route for `method` and `path`; "method" when the path exists with another method only. */
function findRoute(method: string, path: string): Found | "method" | undefined {
  if (!path.startsWith(API)) return undefined;
  const segments = path.slice(API.length).split("/");
  let otherMethod = false;
  for (const route of ROUTES) {
    const pattern = route.path.split("/");
    if (pattern.length !== segments.length) continue;
    const params: string[] = [];
    const matches = pattern.every((part, i) => {
      if (part !== "{}") return part === segments[i];
      params.push(decodeSegment(segments[i]!));
      return segments[i] !== "";
    });
    if (!matches) continue;
    if (route.method === method) return { route, params };
    otherMethod = true;
  }
  return otherMethod ? "method" : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function send(response: ServerResponse, reply: Reply): void {
  switch (reply.kind) {
    case "json":
      sendJson(response, reply.status ?? 200, reply.body);
      return;
    case "text":
      sendJsonText(response, reply.status, reply.text);
      return;
    case "redirect":
      response.writeHead(302, { location: reply.location, "content-length": "0" });
      response.end();
      return;
    case "tar": {
      response.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-disposition": `attachment; filename="${reply.filename}"`,
      });
      // Uncompressed, entries under "./", as SkyRL packs a sampler checkpoint's Hugging Face folder.
      const pack = createTar({ cwd: reply.folder, portable: true }, ["."]);
      pack.on("error", () => response.destroy());
      pack.pipe(response);
      return;
    }
  }
}
