/** One FastAPI/pydantic-style validation problem: where (`loc`), what (`msg`) and its kind (`type`). */
export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
}

/**
 * An HTTP answer other than 200, with the body FastAPI would send: `{"detail": "..."}` for a plain error,
 * `{"detail": [ValidationDetail, ...]}` for a 422.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly detail: string | ValidationDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === "string" ? detail : detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; "));
  }

  static validation(details: ValidationDetail[]): HttpError {
    return new HttpError(422, details);
  }
}
