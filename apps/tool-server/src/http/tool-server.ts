import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  closeServer,
  describeError,
  HttpError,
  listen,
  refusedOrigin,
  sendError,
  sendJson,
  sendJsonText,
} from "@hdpo/http";
import { ToolOverloadedError } from "@hdpo/tools";
import { McpHttpSessions } from "../mcp/mcp-http-sessions";
import type { ToolReplyLike, ToolRequestLike, ToolRuntimePort } from "../runtime-port";
import { ToolServerError } from "../tool-server-error";
import { DEFAULT_MAX_JSON_DEPTH } from "./json-depth";
import { DEFAULT_MAX_REPLY_BYTES, type EntryOutcome, observationReplyText } from "./observation-reply";
import { type ObservationRequest, parseObservationRequest } from "./observation-request";
import { type BodyLimits, parseRequestJson, readRequestBody } from "./request-body";
import { countStatus, newServerCounters, type ServerCounters } from "./server-counters";

/** Facts about the Python interpreter shown by `/health`. */
export interface PythonInfo {
  path: string;
  version: string;
  modules?: Record<string, boolean>;
}

/** Options of {@link createToolServer}. */
export interface ToolServerOptions {
  runtime: ToolRuntimePort;
  /** Python calls at once in the runtime; reported as `thread_pool_size`. */
  workers: number;
  /** Most `/get_observation` requests in flight; more get 503. Default 1024 (the reference's per-backend cap). */
  maxConcurrentRequests?: number;
  /** Largest request body; more gets 413. Default 32 MiB (requests carry task images as data URIs). */
  maxBodyBytes?: number;
  /** Deepest JSON nesting of a request body; deeper gets 400 before parsing. Default 64. */
  maxJsonDepth?: number;
  /**
   * Largest `/get_observation` reply (bytes). Entries that do not fit get an error observation of their own, largest
   * first; the others keep their answers. Default 64 MiB.
   */
  maxReplyBytes?: number;
  /** Longest wait for a request's headers (ms); then 408 and the connection is closed. Default 60 s. */
  headersTimeoutMs?: number;
  /**
   * Longest time to receive a whole request, headers and body (ms); then 408 and the connection is closed. Only the
   * upload counts, not the time the answer takes (Python calls may be long). At least `headersTimeoutMs`. Default 120 s.
   */
  requestTimeoutMs?: number;
  /** Longest pause between two chunks of a request body (ms); then 408 and the connection is closed. Default 30 s. */
  bodyTimeoutMs?: number;
  /** Most open connections; beyond it new connections are closed at once. Default 4096. */
  maxConnections?: number;
  /** Shown by `/health`. */
  python?: PythonInfo;
  /** Serve MCP over streamable HTTP at `/mcp`. Default true. */
  mcp?: boolean;
  /** Most MCP sessions open at once; at the limit the least recently used idle one is closed. Default 1024. */
  maxMcpSessions?: number;
  /** Idle MCP sessions are closed after this long (ms). Default 10 min. */
  mcpIdleTimeoutMs?: number;
  /** Decides whether a rejection of `runtime.handle` means "overloaded" (→ 503). Default: its name is ToolOverloadedError. */
  isOverloaded?: (error: unknown) => boolean;
}

/** How {@link ToolServer.close} ends in-flight work. */
export interface CloseOptions {
  /** How long in-flight requests may finish before they are aborted. Default 10 s. */
  graceMs?: number;
  /** Also `runtime.shutdown()` (kills every child process). Default true. */
  shutdownRuntime?: boolean;
}

/** A tool server speaking the verl-tool protocol (and MCP at `/mcp`). */
export interface ToolServer {
  /** Starts listening; port 0 picks a free one. Resolves with the base URL, e.g. `http://127.0.0.1:30569`. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /**
   * Graceful stop: refuses new connections and requests (503), lets in-flight ones finish within the grace period,
   * then aborts the rest, closes MCP sessions and shuts the runtime down. Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
  /** The HTTP counters (also in `/metrics`). */
  readonly counters: ServerCounters;
}

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 4096;

/**
 * Creates the tool server on `node:http`: `POST /get_observation`, `GET /health`, `GET /metrics` as in the
 * reference (metis-protocol.md §1), and MCP at `/mcp`. A failing request never stops the server.
 */
export function createToolServer(options: ToolServerOptions): ToolServer {
  const runtime = options.runtime;
  const maxConcurrent = options.maxConcurrentRequests ?? 1024;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const maxReplyBytes = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeoutMs);
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  requireInteger("maxConcurrentRequests", maxConcurrent, 1);
  requireInteger("maxBodyBytes", maxBodyBytes, 1);
  requireInteger("maxJsonDepth", maxJsonDepth, 1);
  requireInteger("maxReplyBytes", maxReplyBytes, 1024);
  requireInteger("headersTimeoutMs", headersTimeoutMs, 1);
  requireInteger("requestTimeoutMs", requestTimeoutMs, 1);
  requireInteger("bodyTimeoutMs", bodyTimeoutMs, 1);
  requireInteger("maxConnections", maxConnections, 1);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ToolServerError(
      `headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs}): the headers are part of the request`,
    );
  }
  const bodyLimits: BodyLimits = { maxBytes: maxBodyBytes, idleTimeoutMs: bodyTimeoutMs };
  const isOverloaded = options.isOverloaded ?? isToolOverloadedError;
  const counters = newServerCounters();
  const startedAt = Date.now();
  const mcp =
    options.mcp === false
      ? undefined
      : new McpHttpSessions({
          runtime,
          maxSessions: options.maxMcpSessions,
          idleTimeoutMs: options.mcpIdleTimeoutMs,
          bodyLimits,
          maxJsonDepth,
        });
  let inFlightRequests = 0;
  let activeTasks = 0;
  let observationRequestsInFlight = 0;
  let closing = false;
  let loopbackOnly = true;
  let closed: Promise<void> | undefined;
  const idleWaiters: (() => void)[] = [];

  const track = async <T>(work: Promise<T>): Promise<T> => {
    activeTasks++;
    try {
      return await work;
    } finally {
      activeTasks--;
    }
  };

  const getObservation = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    counters.observationRequests++;
    // The body is read before a slot is taken: a client that uploads slowly (or never finishes) holds a connection
    // until the body timeout, never one of the slots that real work needs.
    const parsed = parseObservationRequest(
      parseRequestJson(await readRequestBody(request, bodyLimits), maxJsonDepth),
    );
    if (observationRequestsInFlight >= maxConcurrent) {
      throw new HttpError(
        503,
        `Server overloaded: ${maxConcurrent} /get_observation requests are already in flight; retry later.`,
        { "retry-after": "1" },
      );
    }
    observationRequestsInFlight++;
    try {
      await answerObservation(parsed, response, started);
    } finally {
      observationRequestsInFlight--;
    }
  };

  const handleEntry = (request: ToolRequestLike): Promise<ToolReplyLike> => {
    try {
      return track(runtime.handle(request));
    } catch (error) {
      // A runtime that throws instead of rejecting fails its entry, not the batch.
      return Promise.reject(error);
    }
  };

  const answerObservation = async (
    parsed: ObservationRequest,
    response: ServerResponse,
    started: number,
  ): Promise<void> => {
    const dispatched = performance.now();
    // Dispatched in request order in one tick, so the runtime's per-id queues keep the order of repeated ids.
    const settled: EntryOutcome[] = await Promise.allSettled(
      parsed.trajectoryIds.map((trajectoryId, index) =>
        handleEntry({ trajectoryId, action: parsed.actions[index]!, extra: parsed.extras[index] }),
      ),
    );
    // Every entry refused at admission means no code ran: a 503 is safe to retry. Otherwise each failure stays in
    // its own entry (observation-reply.ts), so a retry never runs the others' code twice.
    if (settled.every((s) => s.status === "rejected" && isOverloaded(s.reason))) {
      throw new HttpError(
        503,
        `Tool runtime overloaded: ${describeError((settled[0] as PromiseRejectedResult).reason)} Retry later or raise --max-queue/--workers.`,
        { "retry-after": "1" },
      );
    }
    const finished = performance.now();
    const reply = observationReplyText(
      settled,
      { processingMs: finished - dispatched, queueMs: dispatched - started },
      maxReplyBytes,
      (reason) =>
        isOverloaded(reason)
          ? `Tool runtime overloaded: ${describeError(reason)} Retry later or raise --max-queue/--workers.`
          : describeError(reason),
    );
    counters.observations += settled.length;
    counters.failedEntries += reply.failedEntries;
    sendJsonText(response, 200, reply.text, { "x-process-time": String((finished - started) / 1000) });
  };

  const health = () => {
    const stats = runtime.stats() as Record<string, unknown>;
    const sandbox = runtime.sandbox;
    return {
      status: closing ? "shutting_down" : "healthy",
      concurrent_requests: observationRequestsInFlight,
      thread_pool_size: options.workers,
      active_tasks: activeTasks,
      max_concurrent: maxConcurrent,
      tools: ["metis"],
      uptime_seconds: (Date.now() - startedAt) / 1000,
      sandbox:
        sandbox === undefined
          ? null
          : {
              mode: sandbox.mode,
              warnings: sandbox.warnings,
              layers: sandbox.layers.map((l) => ({ name: l.name, active: l.active, reason: l.reason })),
            },
      // The containment facts at a glance (the layers above say why each is on or off); a cgroup per session is
      // one of the layers, reported there with its fallback.
      containment:
        sandbox === undefined
          ? null
          : {
              seccomp: sandbox.seccomp,
              per_session_uid: sandbox.uidDrop,
              inode_cap: sandbox.inodeCap,
              oom_locked: sandbox.oomLocked,
              cgroup: sandbox.layers.some((l) => l.name.startsWith("cgroup") && l.active),
            },
      python: options.python ?? null,
      live_sessions: liveSessions(stats),
      mcp_sessions: mcp?.size ?? 0,
    };
  };

  const metrics = () => ({
    uptime_seconds: (Date.now() - startedAt) / 1000,
    http: {
      ...counters,
      status: { ...counters.status },
      in_flight: inFlightRequests,
      active_tasks: activeTasks,
    },
    mcp: { sessions: mcp?.size ?? 0, evicted: mcp?.evicted ?? 0, expired: mcp?.expired ?? 0 },
    runtime: runtime.stats(),
  });

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refused = refusedOrigin(request, loopbackOnly, "the tools of this server");
    if (refused !== undefined) throw new HttpError(403, refused);
    const path = new URL(request.url ?? "/", "http://localhost").pathname.replace(/(.)\/+$/, "$1");
    if (path === "/mcp" && mcp !== undefined) {
      await mcp.handle(request, response);
      return;
    }
    const methods = ROUTES[path];
    if (methods === undefined) {
      throw new HttpError(
        404,
        `Not Found: ${path}; this server serves ${Object.keys(ROUTES).join(", ")}, /mcp`,
      );
    }
    if (request.method !== methods) {
      throw new HttpError(405, `Method Not Allowed: ${path} accepts ${methods}`, { allow: methods });
    }
    if (closing && path === "/get_observation") {
      throw new HttpError(503, "Server is shutting down; send this request to another tool server.", {
        connection: "close",
      });
    }
    switch (path) {
      case "/get_observation":
        return getObservation(request, response);
      case "/health":
        return sendJson(response, 200, health());
      case "/metrics":
        return sendJson(response, 200, metrics());
    }
  };

  const server: Server = createServer(
    { connectionsCheckingInterval: Math.min(5_000, Math.max(25, Math.floor(headersTimeoutMs / 4))) },
    (request, response) => {
      counters.requests++;
      // MCP streams (a session's GET event stream lives as long as the session) are not waited for on close: the
      // MCP sessions are closed after the grace period instead.
      const waitedFor = !(request.url ?? "").startsWith("/mcp");
      if (waitedFor) inFlightRequests++;
      if (closing) response.setHeader("connection", "close");
      response.once("close", () => {
        countStatus(counters, response.statusCode);
        if (!waitedFor) return;
        inFlightRequests--;
        if (inFlightRequests === 0) for (const wake of idleWaiters.splice(0)) wake();
      });
      route(request, response).catch((error: unknown) => {
        // Total: whatever failed (including a failing error reply), the response ends and nothing escapes.
        try {
          if (error instanceof HttpError && error.headers.connection === "close") {
            // Stop reading the rest of an oversized or stalled upload.
            response.once("finish", () => request.destroy());
          }
          sendError(response, error, "Processing failed");
        } catch {
          response.destroy();
        }
      });
    },
  );
  // requestTimeout bounds receiving the request only (headers and body), never the time its answer takes, so
  // long Python calls are unaffected while a slow upload is cut off. The check runs on Node's interval timer;
  // a fraction of the shortest timeout keeps the cut-off close to it without costing anything per request.
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.maxConnections = maxConnections;

  const close = async (closeOptions: CloseOptions = {}): Promise<void> => {
    closing = true;
    const graceMs = closeOptions.graceMs ?? 10_000;
    await closeServer(server, async () => {
      if (inFlightRequests > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idleWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await mcp?.closeAll();
      if (closeOptions.shutdownRuntime !== false) await runtime.shutdown();
    });
  };

  return {
    counters,
    async listen(port, host = "127.0.0.1") {
      const listening = await listen(server, port, host);
      loopbackOnly = listening.loopback;
      return { url: listening.url, port: listening.port };
    },
    close(closeOptions) {
      // A second close with a zero grace cuts the first one's grace period short.
      if (closed !== undefined && closeOptions?.graceMs === 0)
        for (const wake of idleWaiters.splice(0)) wake();
      closed ??= close(closeOptions);
      return closed;
    },
  };
}

const ROUTES: Record<string, "GET" | "POST"> = {
  "/get_observation": "POST",
  "/health": "GET",
  "/metrics": "GET",
};

function isToolOverloadedError(error: unknown): boolean {
  // By name too: a second copy of @hdpo/tools in a dependency tree has its own class.
  return (
    error instanceof ToolOverloadedError || (error instanceof Error && error.name === "ToolOverloadedError")
  );
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ToolServerError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** The live Python session count from the runtime's stats, whatever the runtime calls it. */
function liveSessions(stats: Record<string, unknown>): number | null {
  for (const key of ["liveSessions", "live_sessions", "sessions"]) {
    const value = stats[key];
    if (typeof value === "number") return value;
  }
  return null;
}
