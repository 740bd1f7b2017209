/**
 * The one error @hdpo/evaluation throws for bad input (options, a corrupt predictions file). Its message says what
 * was wrong and what to do instead.
 */
export class EvaluationError extends Error {
  override readonly name: string = "EvaluationError";
}
