/**
 * The one error every `@hdpo/losses` function throws on bad input. Its message names the function, the
 * input (tensor or option) and its shape or value, and what was expected instead.
 */
export class LossError extends Error {
  override readonly name = "LossError";
}
