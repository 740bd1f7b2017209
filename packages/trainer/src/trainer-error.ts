/** Thrown by `@hdpo/trainer` for bad configs or input; the message names what was wrong and how to fix it. */
export class TrainerError extends Error {
  override readonly name = "TrainerError";
}
