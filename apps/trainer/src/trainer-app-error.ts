/** A problem with a training run the user can fix: a bad config or flag, a missing or foreign run folder. */
export class TrainerAppError extends Error {
  override readonly name = "TrainerAppError";
}
