/** `42.5%` for a rate in [0, 1], `–` when unknown. */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(digits)}%`;
}

/** A plain number with up to `digits` decimals, `–` when unknown. */
export function formatNumber(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? "–" : String(Number(value.toFixed(digits)));
}

/** Milliseconds as `850 ms` or `12.3 s`. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}
