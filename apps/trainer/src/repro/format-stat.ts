import type { SeedStat } from "./aggregate-repro";

/** How a number is printed: rates as percentages, counts and means with two decimals. */
export type StatFormat = "percent" | "number";

/** One value: "42.5%" or "1.25"; "-" when missing. */
export function formatValue(value: number | null | undefined, format: StatFormat): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return format === "percent" ? `${(value * 100).toFixed(1)}%` : value.toFixed(2);
}

/** "42.5% ± 3.1" (the std in the same unit, percentage points for rates); the mean alone with one seed. */
export function formatStat(stat: SeedStat, format: StatFormat): string {
  if (stat.mean === null) return "-";
  const mean = formatValue(stat.mean, format);
  if (stat.std === null) return mean;
  const std = format === "percent" ? (stat.std * 100).toFixed(1) : stat.std.toFixed(2);
  return `${mean} ± ${std}`;
}
