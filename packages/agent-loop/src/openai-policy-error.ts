/** What went wrong when talking to an OpenAI-compatible endpoint. */
export type OpenAIPolicyErrorCode =
  | "invalid-options"
  | "invalid-request"
  | "http-error"
  | "connection"
  | "timeout"
  | "aborted"
  | "bad-response"
  | "no-model";

/**
 * The error of the OpenAI-compatible policies and the endpoint pool. `code` says what kind of failure it was;
 * `status` is the last HTTP status seen (when there was one) and `attempts` how many requests were made.
 */
export class OpenAIPolicyError extends Error {
  override readonly name = "OpenAIPolicyError";
  readonly code: OpenAIPolicyErrorCode;
  readonly status: number | undefined;
  readonly attempts: number;

  constructor(
    code: OpenAIPolicyErrorCode,
    message: string,
    details: { status?: number; attempts?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.attempts = details.attempts ?? 0;
  }
}
