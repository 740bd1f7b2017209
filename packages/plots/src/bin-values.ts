import { isPresent, type Value } from "./chart-spec";
import { PlotsError } from "./plots-error";

/** Equal-width bins: `counts[i]` values fall in [edges[i], edges[i + 1]) (the last bin includes its right edge). */
export interface BinnedValues {
  edges: number[];
  counts: number[];
  /** Values left out: missing, NaN, infinite or outside the range. */
  skipped: number;
}

/** Bins `values` into `bins` equal-width bins over `range` (default: their extent; bins by Sturges' rule). */
export function binValues(
  values: readonly Value[],
  options: { bins?: number | undefined; range?: readonly [number, number] | undefined } = {},
): BinnedValues {
  const present = values.filter(isPresent);
  if (present.length === 0 && options.range === undefined)
    return { edges: [], counts: [], skipped: values.length };
  // A loop, not Math.min(...values): spreading a million values overflows the stack.
  let [lo, hi] =
    options.range ?? present.reduce(([a, b], v) => [Math.min(a, v), Math.max(b, v)], [Infinity, -Infinity]);
  const single = lo === hi;
  if (single) {
    lo -= 0.5;
    hi += 0.5;
  }
  if (!(lo < hi))
    throw new PlotsError(`histogram range must be [low, high] with low < high, got [${lo}, ${hi}]`);
  // Sturges' rule; values that are all the same share one bin.
  const bins =
    options.bins ?? (single ? 1 : Math.min(30, Math.ceil(Math.log2(Math.max(1, present.length)) + 1)));
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  let skipped = values.length - present.length;
  for (const value of present) {
    if (value < lo || value > hi) {
      skipped++;
      continue;
    }
    counts[Math.min(bins - 1, Math.floor((value - lo) / width))]!++;
  }
  return { edges, counts, skipped };
}
