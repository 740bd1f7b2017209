/** A chart spec or drawing call that cannot be honoured; the message says what was wrong and what to do. */
export class PlotsError extends Error {
  override readonly name = "PlotsError";
}
