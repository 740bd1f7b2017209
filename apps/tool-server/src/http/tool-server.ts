import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ToolOverloadedError } from "@hdpo/tools";
import { McpHttpSessions } from "../mcp/mcp-http-sessions";
import type { ToolReplyLike, ToolRuntimePort } from "../runtime-port";
import { ToolServerError } from "../tool-server-error";
import { HttpError } from "./http-error";
import { parseJson, readBody, sendError, sendJson } from "./http-io";
import { parseObservationRequest } from "./observation-request";
import { isLoopbackAddress, refusedOrigin } from "./request-origin";
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
  /** Shown by `/health`. */
  python?: PythonInfo;
  /** Serve MCP over streamable HTTP at `/mcp`. Default true. */
  mcp?: boolean;
  /** Most MCP sessions open at once. Default 1024. */
  maxMcpSessions?: number;
  /** Idle MCP sessions are closed after this long. Default 30 min. */
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

const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Creates the tool server on `node:http`: `POST /get_observation`, `GET /health`, `GET /metrics` as in the
 * reference (metis-protocol.md §1), and MCP at `/mcp`. A failing request never stops the server.
 */
export function createToolServer(options: ToolServerOptions): ToolServer {
  const runtime = options.runtime;
  const maxConcurrent = options.maxConcurrentRequests ?? 1024;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new ToolServerError(`maxConcurrentRequests must be an integer ≥ 1, got ${maxConcurrent}`);
  }
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new ToolServerError(`maxBodyBytes must be an integer ≥ 1, got ${maxBodyBytes}`);
  }
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
          maxBodyBytes,
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
    if (observationRequestsInFlight >= maxConcurrent) {
      throw new HttpError(
        503,
        `Server overloaded: ${maxConcurrent} /get_observation requests are already in flight; retry later.`,
        { "retry-after": "1" },
      );
    }
    observationRequestsInFlight++;
    try {
      await answerObservation(request, response, started);
    } finally {
      observationRequestsInFlight--;
    }
  };

  const answerObservation = async (
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
  ): Promise<void> => {
    const parsed = parseObservationRequest(parseJson(await readBody(request, maxBodyBytes)));
    const dispatched = performance.now();
    // Dispatched in request order in one tick, so the runtime's per-id queues keep the order of repeated ids.
    const settled = await Promise.allSettled(
      parsed.trajectoryIds.map((trajectoryId, index) =>
        track(runtime.handle({ trajectoryId, action: parsed.actions[index]!, extra: parsed.extras[index] })),
      ),
    );
    const overload = settled.find((s) => s.status === "rejected" && isOverloaded(s.reason));
    if (overload !== undefined) {
      throw new HttpError(
        503,
        `Tool runtime overloaded: ${errorMessage((overload as PromiseRejectedResult).reason)} Retry later or raise --max-queue/--workers.`,
        { "retry-after": "1" },
      );
    }
    const failure = settled.find((s) => s.status === "rejected");
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    const replies = settled.map((s) => (s as PromiseFulfilledResult<ToolReplyLike>).value);
    counters.observations += replies.length;
    const finished = performance.now();
    const seconds = (finished - started) / 1000;
    sendJson(
      response,
      200,
      {
        observations: replies.map((r) => r.observation),
        dones: replies.map((r) => r.done),
        valids: replies.map((r) => r.valid),
        processing_time_ms: finished - dispatched,
        queue_time_ms: dispatched - started,
      },
      { "x-process-time": String(seconds) },
    );
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
    mcp: { sessions: mcp?.size ?? 0 },
    runtime: runtime.stats(),
  });

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refused = refusedOrigin(request, loopbackOnly);
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

  const server: Server = createServer((request, response) => {
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
      if (error instanceof HttpError && error.status === 413) {
        // Stop reading the rest of an oversized upload.
        response.once("finish", () => request.destroy());
      }
      sendError(response, error);
    });
  });
  // Python calls may legitimately take long (the reference sets no server timeout).
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  const close = async (closeOptions: CloseOptions = {}): Promise<void> => {
    closing = true;
    const graceMs = closeOptions.graceMs ?? 10_000;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
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
    server.closeAllConnections();
    await stopped;
  };

  return {
    counters,
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          loopbackOnly = isLoopbackAddress(address.address);
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve({ url: `http://${shownHost}:${address.port}`, port: address.port });
        });
      });
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The live Python session count from the runtime's stats, whatever the runtime calls it. */
function liveSessions(stats: Record<string, unknown>): number | null {
  for (const key of ["liveSessions", "live_sessions", "sessions"]) {
    const value = stats[key];
    if (typeof value === "number") return value;
  }
  return null;
}
