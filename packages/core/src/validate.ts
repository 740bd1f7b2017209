import type { z } from "zod";

/** Thrown when data does not match an hdpo schema; the message lists every offending path. */
export class CoreValidationError extends Error {
  override readonly name = "CoreValidationError";
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(message);
  }
}

/**
 * Parses `value` with `schema`, or throws a `CoreValidationError` naming `what` and every bad field,
 * e.g. `invalid Task: answer: a list of acceptable answers must not be empty`.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join(".") : "(root)",
    message: issue.message,
  }));
  const listed = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  throw new CoreValidationError(`invalid ${what}: ${listed}. Fix these fields and try again.`, issues);
}
