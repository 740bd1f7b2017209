/** Thrown by @hdpo/policy for bad input, configs or checkpoints; the message says what was wrong and what to do. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
}
