import type { z } from "zod";
import { PolicyError } from "../policy-error";

/**
 * JSON as `transformers` writes its config files (`json.dumps(…, indent=2, sort_keys=True) + "\n"`), so a
 * file saved here diffs cleanly against one saved there.
 */
export function toConfigFileText(value: unknown): string {
  return `${JSON.stringify(value, sortKeysReplacer, 2)}\n`;
}

function sortKeysReplacer(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/** Parses a config file's text, naming the file when it is not JSON. */
export function parseJsonFile(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PolicyError(`${path} is not valid JSON (${reason}); fix or regenerate the file`);
  }
}

/** Validates `value` with a zod schema, turning the issues into one PolicyError about `what`. */
export function parseWithSchema<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${path}: ${issue.message}`;
  });
  throw new PolicyError(`${what} is invalid:\n  ${issues.join("\n  ")}`);
}
