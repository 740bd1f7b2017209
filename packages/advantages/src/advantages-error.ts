/**
 * Thrown by every public function of `@hdpo/advantages` when its input cannot give a meaningful advantage.
 * The message names what was wrong (which argument, which index, which value) and what to do about it.
 */
export class AdvantagesError extends Error {
  override readonly name = "AdvantagesError";
}
