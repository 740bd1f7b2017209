/** Thrown by `@hdpo/agent-loop` for bad options or input; the message says what was wrong and how to fix it. */
export class AgentLoopError extends Error {
  override readonly name = "AgentLoopError";
}

/** Throws an `AgentLoopError` unless `value` is a positive integer. */
export function requirePositiveInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new AgentLoopError(
      `${what} must be a positive integer, got ${String(value)}; pass a whole number ≥ 1.`,
    );
  }
}

/** Throws an `AgentLoopError` unless `value` is a non-negative integer. */
export function requireNonNegativeInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new AgentLoopError(`${what} must be a non-negative integer, got ${String(value)}.`);
  }
}
