/** A learner call that cannot be carried out; the message says what was wrong and what to do. */
export class LearnerError extends Error {
  override readonly name = "LearnerError";
}
