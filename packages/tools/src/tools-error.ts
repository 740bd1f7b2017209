/**
 * Thrown by `@hdpo/tools` for bad options or misuse (never for a bad model action, which becomes an observation).
 * The message says what was wrong and what to do about it.
 */
export class ToolsError extends Error {
  override readonly name: string = "ToolsError";
}

/** Throws a `ToolsError` unless `value` is a positive integer. */
export function requirePositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new ToolsError(
      `${what} must be a positive integer, got ${String(value)}; pass a whole number ≥ 1.`,
    );
  }
}
