/** A rate as a percentage with one decimal, "-" when there is none. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? "-"
    : `${(value * 100).toFixed(1)}%`;
}
