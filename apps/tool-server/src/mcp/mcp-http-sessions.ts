import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { readBody, sendJson } from "../http/http-io";
import type { ToolRuntimePort } from "../runtime-port";
import { createMcpToolServer } from "./mcp-tools";

/** Options of {@link McpHttpSessions}. */
export interface McpHttpSessionsOptions {
  runtime: ToolRuntimePort;
  /** Most MCP sessions open at once; an initialize beyond it gets 503. Default 1024. */
  maxSessions?: number;
  /** A session unused this long is closed (and its trajectory with it). Default 30 min, as the runtime's trajectories. */
  idleTimeoutMs?: number;
  /** Largest POST body read. Default 32 MiB. */
  maxBodyBytes?: number;
}

interface McpHttpSession {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  trajectoryId: string;
  lastUsed: number;
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
  private readonly sessions = new Map<string, McpHttpSession>();
  private readonly runtime: ToolRuntimePort;
  private readonly maxSessions: number;
  private readonly idleTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(options: McpHttpSessionsOptions) {
    this.runtime = options.runtime;
    this.maxSessions = options.maxSessions ?? 1024;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
    this.maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
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
      const raw = await readBody(request, this.maxBodyBytes);
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        rpcError(response, 400, -32700, "Parse error: the body is not valid JSON");
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
      session.lastUsed = Date.now();
      await session.transport.handleRequest(request, response, body);
      return;
    }
    if (request.method !== "POST" || !isInitializeRequest(body)) {
      rpcError(response, 400, -32000, "Bad Request: no Mcp-Session-Id header and not an initialize request");
      return;
    }
    if (this.sessions.size >= this.maxSessions) {
      rpcError(
        response,
        503,
        -32000,
        `Too many MCP sessions open (${this.maxSessions}); close one and retry`,
      );
      return;
    }
    await this.open(request, response, body);
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
    const session: McpHttpSession = { server, transport, trajectoryId, lastUsed: Date.now() };
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
    for (const [sessionId, session] of this.sessions) {
      if (session.lastUsed < cutoff) {
        void session.transport.close().finally(() => this.forget(sessionId));
      }
    }
  }

  /** Closes every session (and its trajectory); new requests get 503. */
  async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const open = [...this.sessions.entries()];
    await Promise.all(
      open.map(async ([sessionId, session]) => {
        await session.transport.close().catch(() => undefined);
        await session.server.close().catch(() => undefined);
        await this.forget(sessionId);
      }),
    );
  }
}

function rpcError(response: ServerResponse, status: number, code: number, message: string): void {
  sendJson(response, status, { jsonrpc: "2.0", error: { code, message }, id: null });
}
