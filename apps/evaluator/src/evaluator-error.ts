/**
 * The one error the evaluator throws for bad input (flags, files, run folders). Its message says what was
 * wrong and what to do instead; the CLI prints it without a stack trace.
 */
export class EvaluatorError extends Error {
  override readonly name: string = "EvaluatorError";
}
