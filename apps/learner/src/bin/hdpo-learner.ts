#!/usr/bin/env node
import { main } from "../cli/main";
import type { LearnerHttpServer } from "../http/learner-http-server";

// The process edge of `hdpo-learner`: exit codes and signals live here, the CLI logic in cli/main.ts. SIGINT/SIGTERM
// close gracefully (running jobs get the grace period; queued ones stay pending and fail with "send it again" after a
// restart) and exit 0; a second signal exits at once. A SIGKILL loses only what a restart reports as lost.
let server: LearnerHttpServer | undefined;
let graceMs = 10_000;
let stopping = false;

function stop(signal: NodeJS.Signals): void {
  if (server === undefined || stopping) process.exit(stopping ? 1 : 0);
  stopping = true;
  process.stderr.write(`hdpo-learner: ${signal}: shutting down (grace ${graceMs / 1000} s)\n`);
  server.close(graceMs).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`hdpo-learner: shutdown failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

const result = await main(process.argv.slice(2));
if (result.exitCode !== 0 || result.server === undefined) process.exit(result.exitCode);
server = result.server;
graceMs = result.options?.shutdownGraceMs ?? graceMs;
