import { InfrastructureError, isServiceFailureStatus } from "./infrastructure-error";
import { OpenAIPolicyError } from "./openai-policy-error";

/**
 * The {@link InfrastructureError} a policy's failure amounts to, or undefined when the failure is the request's own
 * (a 400 for a context that is too long, invalid sampling settings, an abort). An OpenAI-compatible endpoint that
 * cannot be reached, times out, answers 5xx (or 401/404/429) after the pool's retries, lists no model or sends a
 * malformed reply is an outage of the model endpoint; an InfrastructureError a custom policy throws passes as is.
 */
export function policyOutage(error: unknown): InfrastructureError | undefined {
  if (error instanceof InfrastructureError) return error;
  if (!(error instanceof OpenAIPolicyError)) return undefined;
  switch (error.code) {
    case "connection":
    case "timeout":
    case "bad-response":
    case "no-model":
      return new InfrastructureError("model", `the model endpoint failed: ${error.message}`, {
        cause: error,
      });
    case "http-error":
      return error.status !== undefined && isServiceFailureStatus(error.status)
        ? new InfrastructureError("model", `the model endpoint failed: ${error.message}`, { cause: error })
        : undefined;
    default:
      return undefined;
  }
}
