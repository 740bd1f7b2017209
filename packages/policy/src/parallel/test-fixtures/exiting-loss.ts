/** Ends its thread in the middle of a step, as a crash would. */
export function loss(): never {
  process.exit(3);
}
