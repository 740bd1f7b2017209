/**
 * One FastAPI/pydantic-style validation problem: where (`loc`), what (`msg`) and its kind (`type`). Unlike
 * FastAPI there is no `input`: echoing a hostile body back (a 10 MB id, 200,000 nested arrays) is what let one
 * request take the server down, so an error names the place and never repeats the value.
 */
export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Longest message an error reply carries; longer ones are cut with a marker. */
export const MAX_ERROR_MESSAGE_CHARS = 1000;
/** Most validation problems one 422 lists; the rest are counted in a last entry. */
export const MAX_VALIDATION_DETAILS = 20;

/**
 * An HTTP answer other than 200, with the body FastAPI would send: `{"detail": "..."}` for a plain error,
 * `{"detail": [ValidationDetail, ...]}` for a 422. Messages are capped at {@link MAX_ERROR_MESSAGE_CHARS} and a
 * 422 at {@link MAX_VALIDATION_DETAILS} entries, so an error reply stays small whatever the request was.
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

function capDetails(details: ValidationDetail[]): ValidationDetail[] {
  const kept = details.slice(0, MAX_VALIDATION_DETAILS).map((d) => ({
    // Only the three documented fields, whatever the caller put in: nothing from the body rides along.
    loc: d.loc.slice(0, 8).map((part) => (typeof part === "string" ? capMessage(part) : part)),
    msg: capMessage(d.msg),
    type: d.type,
  }));
  if (details.length > MAX_VALIDATION_DETAILS) {
    kept.push({
      loc: ["body"],
      msg: `and ${details.length - MAX_VALIDATION_DETAILS} more problems like these`,
      type: "too_many_errors",
    });
  }
  return kept;
}
