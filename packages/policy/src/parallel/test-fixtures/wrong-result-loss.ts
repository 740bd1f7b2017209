/** Returns a plain number where a scalar tensor is expected. */
export function loss(): number {
  return 42;
}
