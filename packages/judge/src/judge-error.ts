/**
 * The one error every `@hdpo/judge` function throws on bad input or on a judgement the caller's error
 * policy refuses. Its message names the function, what was wrong, and what to do instead.
 */
export class JudgeError extends Error {
  override readonly name = "JudgeError";
}
