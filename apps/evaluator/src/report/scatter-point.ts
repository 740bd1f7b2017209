import type { GroupMetrics } from "@hdpo/evaluation";

/** One point of the accuracy-vs-tool-use plot: x = tool-use rate, y = accuracy, both in [0, 1]. */
export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
}

/** A point for a group with both rates known; undefined for a group with nothing scored. */
export function scatterPointOf(label: string, metrics: GroupMetrics): ScatterPoint | undefined {
  if (metrics.accuracy === null || metrics.toolUseRate === null) return undefined;
  return { label, x: metrics.toolUseRate, y: metrics.accuracy };
}
