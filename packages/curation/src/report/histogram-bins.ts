/** Counts of values in `bins` equal-width bins over [min, max] (the last bin includes max). */
export function histogramBins(
  values: readonly number[],
  bins: number,
  min = 0,
  max = 1,
): { from: number; to: number; count: number }[] {
  const width = (max - min) / bins;
  const out = Array.from({ length: bins }, (_, i) => ({
    from: min + i * width,
    to: min + (i + 1) * width,
    count: 0,
  }));
  for (const value of values) {
    if (!(value >= min && value <= max)) continue;
    const at = Math.min(bins - 1, Math.floor((value - min) / width));
    out[at]!.count++;
  }
  return out;
}
