/**
 * What went wrong in curation (bad options, unreadable input, a journal written with other options); the message
 * says what was wrong and what to do. Row-level problems are never thrown: they become rejections.
 */
export class CurationError extends Error {
  override readonly name = "CurationError";
}
