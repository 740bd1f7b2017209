#!/usr/bin/env node
import { main } from "../cli/main";

// Ctrl-C once: checkpoint and stop after the current step. Twice: exit at once (resume from the last checkpoint).
const controller = new AbortController();
process.on("SIGINT", () => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write("\nhdpo-train: stopping after this step (Ctrl-C again to quit now)…\n");
  controller.abort();
});
// Exit explicitly: tool workers must not keep the process alive after the outputs are written. An error main does
// not know is a bug: its stack is printed here, before the wasm backend's process handlers can claim it.
main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `hdpo-train: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
