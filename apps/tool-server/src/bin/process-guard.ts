/** Longest error text one guard line carries. */
const MAX_LINE_CHARS = 300;

/**
 * Installs `unhandledRejection` and `uncaughtException` handlers that write one line each (no stack) through `log`
 * and let the process go on. For the server binary only: a library must never install process-wide handlers.
 * Returns a function that removes them again.
 */
export function installProcessGuard(log: (line: string) => void): () => void {
  const report = (kind: string) => (error: unknown) => {
    try {
      log(`hdpo-tool-server: ${kind} (kept serving): ${oneLine(error)}`);
    } catch {
      // Logging itself failed (a closed stderr): nothing left to do but go on.
    }
  };
  const onRejection = report("unhandled rejection");
  const onException = report("uncaught exception");
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}

/** `Name: message` on one line, capped; never throws on a hostile value. */
function oneLine(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = "an error that cannot be described";
  }
  let flat = "";
  for (const char of text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text) {
    flat += char === "\n" || char === "\r" ? " " : char;
  }
  return flat;
}
