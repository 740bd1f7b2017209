import { type BarChart, barChart, chartToPng, type ScatterChart, scatterChart } from "@hdpo/plots";
import type { ScatterPoint } from "./scatter-point";

/** Accuracy per category as bars (categories with nothing scored are marked n/a). */
export function categoryAccuracyChart(
  items: readonly { label: string; value: number | null; n: number }[],
): BarChart {
  return barChart({
    title: "Accuracy per category",
    id: "category-accuracy",
    yLabel: "accuracy",
    yFormat: "percent",
    yRange: [0, 1],
    bars: items.map((item) => ({ label: item.label, value: item.value, note: `n=${item.n}` })),
    emptyMessage: "no categories",
  });
}

/** The distribution of T (tool calls per item): one bar per T from 0 to the largest seen, items as heights. */
export function toolCallsChart(histogram: Record<string, number>): BarChart {
  const maxT = Math.max(-1, ...Object.keys(histogram).map(Number));
  return barChart({
    title: "Distribution of T",
    id: "tool-calls-histogram",
    xLabel: "tool calls per item (T)",
    yLabel: "items",
    yFormat: "integer",
    colorIndex: 2,
    bars: Array.from({ length: maxT + 1 }, (_, t) => ({
      label: String(t),
      value: histogram[String(t)] ?? 0,
    })),
    emptyMessage: "no items scored",
  });
}

/** Accuracy against tool-use rate, one labelled point each, both 0-100 %: the good corner is top-left. */
export function accuracyVsToolUseChart(
  points: readonly ScatterPoint[],
  title = "Accuracy vs tool-use rate",
  size: { width?: number; height?: number } = {},
): ScatterChart {
  return scatterChart({
    title,
    id: "accuracy-vs-tool-use",
    xLabel: "tool-use rate",
    yLabel: "accuracy",
    xFormat: "percent",
    yFormat: "percent",
    xRange: [0, 1],
    yRange: [0, 1],
    points,
    emptyMessage: "no run or category has both accuracy and tool-use rate",
    ...size,
  });
}

/** Options of {@link renderScatterPng}. */
export interface ScatterPngOptions {
  title: string;
  width?: number;
  height?: number;
}

/** The headline plot (accuracy vs tool-use rate) as PNG bytes, 800×600 unless told otherwise. */
export function renderScatterPng(points: readonly ScatterPoint[], options: ScatterPngOptions): Buffer {
  return chartToPng(
    accuracyVsToolUseChart(points, options.title, {
      width: options.width ?? 800,
      height: options.height ?? 600,
    }),
  );
}
