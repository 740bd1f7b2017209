import { createToolServer, type ToolServer } from "../http/tool-server";
import { runMcpStdio } from "../mcp/mcp-stdio";
import { ToolServerError } from "../tool-server-error";
import { buildRuntime } from "./build-runtime";
import { parseCliOptions, type ToolServerCliOptions, USAGE } from "./cli-options";

/** Where the CLI writes; a seam for tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** How `main` ended: an exit code, and the running server when it started one. */
export interface CliResult {
  exitCode: number;
  server?: ToolServer;
  url?: string;
  options?: ToolServerCliOptions;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs `hdpo-tool-server` with `argv` (the arguments after the program name). HTTP mode: when ready prints exactly
 * one line, `hdpo-tool-server listening on http://H:P`, and resolves with the running server. `--mcp-stdio`: speaks
 * MCP on stdin/stdout and resolves once stdin closes or `signal` aborts. Bad flags → exit 2; a start-up problem → exit 1. Sandbox
 * degradation warnings go to stderr, loudly.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = defaultIo,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<CliResult> {
  let options: ToolServerCliOptions;
  try {
    options = parseCliOptions(argv, env);
  } catch (error) {
    io.err(`hdpo-tool-server: ${(error as Error).message}\n\n${USAGE}`);
    return { exitCode: 2 };
  }
  if (options.help) {
    io.out(USAGE);
    return { exitCode: 0 };
  }
  try {
    const built = await buildRuntime(options, env);
    for (const warning of built.warnings) {
      io.err(`hdpo-tool-server: WARNING: ${warning}`);
    }
    if (options.mcpStdio) {
      await runMcpStdio(built.runtime, { signal });
      return { exitCode: 0, options };
    }
    const server = createToolServer({
      runtime: built.runtime,
      workers: options.workers,
      maxConcurrentRequests: options.maxConcurrentRequests,
      maxBodyBytes: options.maxBodyBytes,
      maxJsonDepth: options.maxJsonDepth,
      maxReplyBytes: options.maxReplyBytes,
      headersTimeoutMs: options.headersTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs,
      maxConnections: options.maxConnections,
      maxMcpSessions: options.maxMcpSessions,
      python: built.python,
      mcpIdleTimeoutMs: options.mcpIdleTimeoutMs,
    });
    let url: string;
    try {
      ({ url } = await server.listen(options.port, options.host));
    } catch (error) {
      await server.close({ graceMs: 0 });
      throw new ToolServerError(
        `cannot listen on ${options.host}:${options.port} (${(error as Error).message}); pick another --port or --host`,
      );
    }
    io.out(`hdpo-tool-server listening on ${url}`);
    return { exitCode: 0, server, url, options };
  } catch (error) {
    io.err(`hdpo-tool-server: ${error instanceof Error ? error.message : String(error)}`);
    return { exitCode: 1 };
  }
}
