/**
 * The q-th quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics (numpy's default), or null
 * for an empty list. Order-independent: resumed and uninterrupted runs give the same value.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** `numerator / denominator`, or null when there is nothing to divide by (an empty category, no labels). */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}
