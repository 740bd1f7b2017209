/**
 * The one error every `@hdpo/rewards` function throws on bad input. Its message names the function, the
 * argument (with the index for batch inputs), the value received, and what was expected instead.
 */
export class RewardsError extends Error {
  override readonly name = "RewardsError";
}
