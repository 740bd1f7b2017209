/**
 * One FastAPI/pydantic-style validation problem: its kind (`type`), where (`loc`), what (`msg`). `input` is the
 * offending value as FastAPI reports it; a server that sets it gets it summarized (a number or a short string as is,
 * anything bigger described: "an array of 200000 items"), and a server that leaves it out sends no `input` at all,
 * so a 422 never echoes a hostile body back.
 */
export interface ValidationDetail {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
}

/** Longest message an error reply carries; longer ones are cut with a marker. */
export const MAX_ERROR_MESSAGE_CHARS = 1000;
/** Most validation problems one 422 lists; the rest are counted in a last entry. */
export const MAX_VALIDATION_DETAILS = 20;
/** Most parts of one `loc`; a path deeper than any request schema is cut. */
const MAX_LOC_PARTS = 12;
/** Longest string echoed as a 422's `input`. */
const MAX_INPUT_CHARS = 100;

/**
 * An HTTP answer other than 200 with FastAPI's body: `{"detail": "..."}`, or `{"detail": [ValidationDetail, ...]}`
 * for a 422. Messages, `loc`s and detail lists are capped, so an error reply stays small whatever the request was.
 * `headers` ride along on the answer (`connection: close` ends an upload the server stopped reading).
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly detail: string | ValidationDetail[];
  constructor(
    readonly status: number,
    detail: string | ValidationDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    const capped = typeof detail === "string" ? capMessage(detail) : capDetails(detail);
    super(typeof capped === "string" ? capped : capped.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; "));
    this.detail = capped;
  }

  static validation(details: ValidationDetail[]): HttpError {
    return new HttpError(422, details);
  }
}

/** `text` cut to {@link MAX_ERROR_MESSAGE_CHARS} characters, saying how much was left out. */
export function capMessage(text: string): string {
  if (text.length <= MAX_ERROR_MESSAGE_CHARS) return text;
  return `${text.slice(0, MAX_ERROR_MESSAGE_CHARS)}… [${text.length - MAX_ERROR_MESSAGE_CHARS} more characters cut]`;
}

/** A value small enough to echo, or a short description of it. */
export function summarizeInput(value: unknown): unknown {
  if (value === undefined) return null;
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") {
    return value.length <= MAX_INPUT_CHARS ? value : `a string of ${value.length} characters`;
  }
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === "object") return `an object with ${Object.keys(value).length} keys`;
  return `a ${typeof value}`;
}

function capDetails(details: ValidationDetail[]): ValidationDetail[] {
  // Whether this server reports `input` at all is decided by its details: the overflow entry follows the first one.
  const withInput = details.length > 0 && "input" in details[0]!;
  const kept = details.slice(0, MAX_VALIDATION_DETAILS).map((d) => ({
    // Only the documented fields, whatever the caller put in: nothing else from the body rides along.
    type: d.type,
    loc: d.loc.slice(0, MAX_LOC_PARTS).map((part) => (typeof part === "string" ? capMessage(part) : part)),
    msg: capMessage(d.msg),
    ...("input" in d ? { input: summarizeInput(d.input) } : {}),
  }));
  if (details.length > MAX_VALIDATION_DETAILS) {
    kept.push({
      type: "too_many_errors",
      loc: ["body"],
      msg: `and ${details.length - MAX_VALIDATION_DETAILS} more problems like these`,
      ...(withInput ? { input: null } : {}),
    });
  }
  return kept;
}
