import { PlotsError } from "./plots-error";

/** Axis ticks at round values: the axis runs from `min` to `max` in steps of `step`. */
export interface NiceTicks {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** The round step (1, 2, 2.5 or 5 × a power of ten) nearest above `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough))
    throw new PlotsError(`a tick step must be a positive finite number, got ${rough}`);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Round ticks covering [lo, hi] with about `target` intervals; the axis extends out to the first tick at or
 * beyond each end. A zero-width range is widened around its value so it still gets an axis.
 */
export function niceTicks(lo: number, hi: number, target = 5): NiceTicks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw new PlotsError(`axis bounds must be finite numbers, got [${lo}, ${hi}]`);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / Math.max(1, Math.round(target)));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(roundToStep(k * step, step));
  return { min: ticks[0]!, max: ticks.at(-1)!, step, ticks };
}

/** Decimals needed to print multiples of `step` exactly (0.25 → 2, 5 → 0). */
export function stepDecimals(step: number): number {
  for (let decimals = 0; decimals < 12; decimals++) {
    const scaled = step * 10 ** decimals;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return decimals;
  }
  return 12;
}

// Removes floating-point dust (0.30000000000000004 → 0.3) so labels and SVG coordinates stay short.
function roundToStep(value: number, step: number): number {
  const decimals = stepDecimals(step);
  const rounded = Number(value.toFixed(decimals));
  return Object.is(rounded, -0) ? 0 : rounded;
}
