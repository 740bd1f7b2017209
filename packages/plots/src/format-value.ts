import type { ValueFormat } from "./chart-spec";
import { stepDecimals } from "./nice-ticks";

/** A tick label: as many decimals as the tick step needs. */
export function formatTick(value: number, format: ValueFormat, step: number): string {
  if (format === "percent") return `${(value * 100).toFixed(stepDecimals(step * 100))}%`;
  if (format === "integer") return String(Math.round(value));
  return value.toFixed(stepDecimals(step));
}

/** A data value's label (bar tops, tooltips): percent to 0.1, numbers to 4 significant digits. */
export function formatValue(value: number, format: ValueFormat): string {
  if (format === "percent") return `${(value * 100).toFixed(1)}%`;
  if (format === "integer") return String(Math.round(value));
  return String(Number(value.toPrecision(4)));
}
