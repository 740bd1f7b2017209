import { PolicyError } from "../policy-error";

/** The `type` field of an OpenAI error body. */
export type OpenAiErrorType = "invalid_request_error" | "not_found_error" | "server_error";

/**
 * A request the server answers with an error: its HTTP status and the fields of OpenAI's error body
 * `{ error: { message, type, param, code } }`, so that OpenAI clients raise their usual error classes.
 */
export class OpenAiApiError extends PolicyError {
  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAiErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  /** A 400 for input that cannot be served; `param` names the offending field. */
  static badRequest(
    message: string,
    param: string | null = null,
    code: string | null = null,
  ): OpenAiApiError {
    return new OpenAiApiError(400, message, "invalid_request_error", param, code);
  }

  /** The body OpenAI clients parse. */
  toBody(): { error: { message: string; type: OpenAiErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}
