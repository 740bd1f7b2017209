import { capMessage } from "./http-error";

/** The message of a thrown value, capped, never throwing itself (a hostile `toString` or a getter may). */
export function describeError(error: unknown): string {
  try {
    return capMessage(error instanceof Error ? String(error.message) : String(error));
  } catch {
    return "an error that cannot be described";
  }
}
