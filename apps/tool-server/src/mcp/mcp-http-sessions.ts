import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError, sendJson } from "@hdpo/http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { DEFAULT_MAX_JSON_DEPTH } from "../http/json-depth";
import { type BodyLimits, parseRequestJson, readRequestBody } from "../http/request-body";
import type { ToolRuntimePort } from "../runtime-port";
import { createMcpToolServer } from "./mcp-tools";

/** Options of {@link McpHttpSessions}. */
export interface McpHttpSessionsOptions {
  runtime: ToolRuntimePort;
  /**
   * Most MCP sessions open at once. An initialize at the limit closes the least recently used session that has no
   * request in flight (clients that walked away must not lock new ones out); only when every session is busy does
   * it get 503. Default 1024.
   */
  maxSessions?: number;
  /** A session unused this long is closed (and its trajectory with it). Default 10 min. */
  idleTimeoutMs?: number;
  /** Largest POST body and longest pause in it. Default 32 MiB and 30 s. */
  bodyLimits?: BodyLimits;
  /** Deepest JSON nesting of a POST body. Default 64. */
  maxJsonDepth?: number;
}

/** The default idle expiry of an MCP session. */
export const DEFAULT_MCP_IDLE_TIMEOUT_MS = 10 * 60_000;
/** The default most MCP sessions open at once. */
export const DEFAULT_MAX_MCP_SESSIONS = 1024;

interface McpHttpSession {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  trajectoryId: string;
  lastUsed: number;
  /** POST requests being answered; a session with any is never evicted. (A GET event stream is not counted.) */
  inFlight: number;
}

/** The trajectory id of an MCP session: one MCP session is one tool-runtime trajectory. */
export function mcpTrajectoryId(sessionId: string): string {
  return `mcp-${sessionId}`;
}

/**
 * MCP over streamable HTTP at `/mcp` (stateful mode): an `initialize` POST without a session id opens a session
 * (an `McpServer` + transport of its own, the `Mcp-Session-Id` header naming it); later requests carry the header;
 * `DELETE /mcp` (or idle expiry, or server close) ends it and closes its trajectory, killing its Python.
 */
export class McpHttpSessions {
  /** Sessions closed to make room for a new one at the limit. */
  evicted = 0;
  /** Sessions closed for being idle longer than `idleTimeoutMs`. */
  expired = 0;
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly sessions = new Map<string, McpHttpSession>();
  private readonly runtime: ToolRuntimePort;
  private readonly maxSessions: number;
  private readonly idleTimeoutMs: number;
  private readonly bodyLimits: BodyLimits;
  private readonly maxJsonDepth: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  /** Initializes under way: counted against the limit before their session is in the map. */
  private opening = 0;

  constructor(options: McpHttpSessionsOptions) {
    this.runtime = options.runtime;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_MCP_SESSIONS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_MCP_IDLE_TIMEOUT_MS;
    this.bodyLimits = options.bodyLimits ?? { maxBytes: 32 * 1024 * 1024, idleTimeoutMs: 30_000 };
    this.maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, this.idleTimeoutMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.closed) {
      rpcError(response, 503, -32000, "Server is shutting down");
      return;
    }
    let body: unknown;
    if (request.method === "POST") {
      const raw = await readRequestBody(request, this.bodyLimits);
      try {
        body = parseRequestJson(raw, this.maxJsonDepth);
      } catch (error) {
        // Too deep keeps its own message; anything else is JSON-RPC's parse error.
        const message =
          error instanceof HttpError && error.status === 400
            ? `Parse error: ${error.message}`
            : "Parse error: the body is not valid JSON";
        rpcError(response, 400, -32700, message);
        return;
      }
    }
    const header = request.headers["mcp-session-id"];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const session = this.sessions.get(sessionId);
      if (session === undefined) {
        rpcError(response, 404, -32001, "Session not found; send a new initialize request");
        return;
      }
      this.touch(sessionId, session);
      const counted = request.method === "POST";
      if (counted) session.inFlight++;
      try {
        await session.transport.handleRequest(request, response, body);
      } finally {
        if (counted) {
          session.inFlight--;
          session.lastUsed = Date.now();
        }
      }
      return;
    }
    if (request.method !== "POST" || !isInitializeRequest(body)) {
      rpcError(response, 400, -32000, "Bad Request: no Mcp-Session-Id header and not an initialize request");
      return;
    }
    if (this.sessions.size + this.opening >= this.maxSessions && !this.evictOne()) {
      rpcError(
        response,
        503,
        -32000,
        `Too many MCP sessions open (${this.maxSessions}), all of them busy; retry later`,
      );
      return;
    }
    this.opening++;
    try {
      await this.open(request, response, body);
    } finally {
      this.opening--;
    }
  }

  /** Marks the session used now, moving it to the most recent end. */
  private touch(sessionId: string, session: McpHttpSession): void {
    session.lastUsed = Date.now();
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, session);
  }

  /** Closes the least recently used session with nothing in flight; false when every session is busy. */
  private evictOne(): boolean {
    for (const [sessionId, session] of this.sessions) {
      if (session.inFlight > 0) continue;
      this.evicted++;
      // Forgotten at once so the new session has its place now; the close finishes in the background.
      this.sessions.delete(sessionId);
      void this.end(sessionId, session);
      return true;
    }
    return false;
  }

  /** Closes a session's transport and server and its trajectory (killing its Python). Never rejects. */
  private async end(sessionId: string, session: McpHttpSession): Promise<void> {
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
    if (this.sessions.get(sessionId) === session) this.sessions.delete(sessionId);
    await this.runtime.close(session.trajectoryId).catch(() => undefined);
  }

  private async open(request: IncomingMessage, response: ServerResponse, body: unknown): Promise<void> {
    // The id is made here, not by the transport, so the session's trajectory id is known before any tool call.
    const sessionId = randomUUID();
    const trajectoryId = mcpTrajectoryId(sessionId);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      onsessioninitialized: () => {
        this.sessions.set(sessionId, session);
      },
    });
    const server = createMcpToolServer(this.runtime, trajectoryId);
    const session: McpHttpSession = { server, transport, trajectoryId, lastUsed: Date.now(), inFlight: 0 };
    transport.onclose = () => {
      void this.forget(sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  private async forget(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    this.sessions.delete(sessionId);
    await this.runtime.close(session.trajectoryId).catch(() => undefined);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleTimeoutMs;
    for (const [sessionId, session] of [...this.sessions]) {
      if (session.lastUsed < cutoff && session.inFlight === 0) {
        this.expired++;
        this.sessions.delete(sessionId);
        void this.end(sessionId, session);
      }
    }
  }

  /** Closes every session (and its trajectory); new requests get 503. */
  async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const open = [...this.sessions.entries()];
    await Promise.all(open.map(([sessionId, session]) => this.end(sessionId, session)));
  }
}

function rpcError(response: ServerResponse, status: number, code: number, message: string): void {
  sendJson(response, status, { jsonrpc: "2.0", error: { code, message }, id: null });
}
