import { randomUUID } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { ToolRuntimePort } from "../runtime-port";
import { createMcpToolServer } from "./mcp-tools";

/**
 * Serves MCP on stdin/stdout for one client: one trajectory for the life of the process. Resolves when stdin ends
 * (the client went away), the transport closes or `signal` aborts, after the runtime has been shut down (every child killed).
 */
export async function runMcpStdio(
  runtime: ToolRuntimePort,
  options: { stdin?: Readable; stdout?: Writable; signal?: AbortSignal } = {},
): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const trajectoryId = `mcp-stdio-${randomUUID()}`;
  const server = createMcpToolServer(runtime, trajectoryId);
  const transport = new StdioServerTransport(stdin, stdout);
  const ended = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    stdin.once("end", () => resolve());
    stdin.once("close", () => resolve());
    options.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.connect(transport);
  await ended;
  await server.close().catch(() => undefined);
  await runtime.close(trajectoryId).catch(() => undefined);
  await runtime.shutdown();
}
