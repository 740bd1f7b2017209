#!/usr/bin/env node
import { main } from "../cli/main";
import type { ToolServer } from "../http/tool-server";
import { installProcessGuard } from "./process-guard";

// The process edge of `hdpo-tool-server`: exit codes and signals live here, the CLI logic in cli/main.ts.
// SIGINT/SIGTERM: HTTP mode closes gracefully (in-flight requests get the grace period, then every child process is
// killed) and exits 0; a second signal cuts the grace short. --mcp-stdio mode shuts the runtime down and exits 0.
const aborted = new AbortController();
let server: ToolServer | undefined;
let graceMs = 10_000;
let stopping = false;

function stop(signal: NodeJS.Signals): void {
  if (server === undefined) {
    aborted.abort();
    return;
  }
  const grace = stopping ? 0 : graceMs;
  process.stderr.write(`hdpo-tool-server: ${signal}: shutting down (grace ${grace / 1000} s)\n`);
  stopping = true;
  server.close({ graceMs: grace }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`hdpo-tool-server: shutdown failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
// The last line of defence, installed by the binary only (the library never touches process-wide handlers): an
// error that escaped every request handler is logged in one line and the server keeps serving, because exiting
// would lose every live session of every other client.
installProcessGuard((line) => process.stderr.write(`${line}\n`));

const result = await main(process.argv.slice(2), undefined, process.env, aborted.signal);
if (result.exitCode !== 0 || result.server === undefined) process.exit(result.exitCode);
server = result.server;
graceMs = result.options?.shutdownGraceMs ?? graceMs;
if (aborted.signal.aborted) stop("SIGTERM");
