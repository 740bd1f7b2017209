/** A problem with how hdpo-learner was configured or started; the message says what was wrong and what to do. */
export class LearnerServerError extends Error {
  override readonly name = "LearnerServerError";
}
