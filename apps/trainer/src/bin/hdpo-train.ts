#!/usr/bin/env node
import { main } from "../cli/main";

// Ctrl-C once: checkpoint and stop after the current step. Twice: exit at once (resume from the last checkpoint).
const controller = new AbortController();
process.on("SIGINT", () => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write("\nhdpo-train: stopping after this step (Ctrl-C again to quit now)…\n");
  controller.abort();
});
// Exit explicitly: tool workers must not keep the process alive after the outputs are written.
process.exit(
  await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
  }),
);
