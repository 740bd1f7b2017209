import { PlotsError } from "./plots-error";

/** A data value; `null`, `undefined` and NaN mean "missing" and are skipped, never drawn at 0. */
export type Value = number | null | undefined;

/** How axis ticks and value labels are printed: `percent` shows 0.25 as "25%". */
export type ValueFormat = "number" | "percent" | "integer";

/** What every chart has. */
export interface ChartBase {
  title: string;
  /** Size in CSS pixels of the SVG and, times the pixel ratio, of the PNG (default 640×360). */
  width?: number;
  height?: number;
  /** Written as `data-plot` on the SVG, so pages and tests can find the chart. */
  id?: string;
  /** Shown in the middle of the chart when there is nothing to draw. */
  emptyMessage?: string;
}

/** One line of a line chart: its points as [x, y] pairs in any order of x (they are sorted). */
export interface LineSeries {
  name: string;
  points: readonly (readonly [Value, Value])[];
}

export interface LineChartSpec extends ChartBase {
  series: readonly LineSeries[];
  xLabel?: string;
  yLabel?: string;
  /** The least domain of the axis; widened to a round end when data falls outside it. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  xFormat?: ValueFormat;
  yFormat?: ValueFormat;
  /** Draw a dot at each point (default: when no series has more than 60 points). */
  markers?: boolean;
}

export interface Bar {
  label: string;
  value: Value;
  /** Extra tooltip text, e.g. "n=120". */
  note?: string;
}

export interface BarChartSpec extends ChartBase {
  bars: readonly Bar[];
  xLabel?: string;
  yLabel?: string;
  yRange?: readonly [number, number];
  yFormat?: ValueFormat;
  /** Palette index of the bars' colour (default 0). */
  colorIndex?: number;
}

export interface HistogramSpec extends ChartBase {
  /** Raw values; missing ones are skipped and counted in a note. */
  values: readonly Value[];
  /** Number of equal-width bins (default: Sturges' rule, at most 30). */
  bins?: number;
  /** The binned range (default: the values' extent); values outside it are counted as skipped. */
  range?: readonly [number, number];
  xLabel?: string;
  yLabel?: string;
  xFormat?: ValueFormat;
  colorIndex?: number;
}

export interface ScatterPoint {
  label: string;
  x: Value;
  y: Value;
}

export interface ScatterChartSpec extends ChartBase {
  /** Labelled points, each in its own palette colour (by index). */
  points: readonly ScatterPoint[];
  xLabel?: string;
  yLabel?: string;
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  xFormat?: ValueFormat;
  yFormat?: ValueFormat;
}

export type LineChart = LineChartSpec & { kind: "line" };
export type BarChart = BarChartSpec & { kind: "bar" };
export type Histogram = HistogramSpec & { kind: "histogram" };
export type ScatterChart = ScatterChartSpec & { kind: "scatter" };
/** A chart as plain data: render it with `chartToSvg` or `chartToPng`. */
export type Chart = LineChart | BarChart | Histogram | ScatterChart;

/** Lines over x (e.g. metrics over training steps), one per series, with a legend. */
export function lineChart(spec: LineChartSpec): LineChart {
  checkBase(spec);
  checkRange("xRange", spec.xRange);
  checkRange("yRange", spec.yRange);
  return { ...spec, kind: "line" };
}

/** One bar per labelled value (missing values are marked "n/a"). */
export function barChart(spec: BarChartSpec): BarChart {
  checkBase(spec);
  checkRange("yRange", spec.yRange);
  return { ...spec, kind: "bar" };
}

/** Counts of raw values in equal-width bins. */
export function histogram(spec: HistogramSpec): Histogram {
  checkBase(spec);
  checkRange("range", spec.range);
  if (spec.bins !== undefined && (!Number.isInteger(spec.bins) || spec.bins < 1 || spec.bins > 1000))
    throw new PlotsError(`histogram bins must be a whole number from 1 to 1000, got ${spec.bins}`);
  return { ...spec, kind: "histogram" };
}

/** Labelled points on two linear axes (e.g. accuracy against tool-use rate, one point per run). */
export function scatterChart(spec: ScatterChartSpec): ScatterChart {
  checkBase(spec);
  checkRange("xRange", spec.xRange);
  checkRange("yRange", spec.yRange);
  return { ...spec, kind: "scatter" };
}

function checkBase(spec: ChartBase): void {
  for (const [name, value] of [
    ["width", spec.width],
    ["height", spec.height],
  ] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value < 120 || value > 8000))
      throw new PlotsError(`chart ${name} must be between 120 and 8000 pixels, got ${value}`);
  }
}

function checkRange(name: string, range: readonly [number, number] | undefined): void {
  if (range === undefined) return;
  if (!Number.isFinite(range[0]) || !Number.isFinite(range[1]) || range[0] >= range[1])
    throw new PlotsError(
      `${name} must be [low, high] with finite low < high, got [${range[0]}, ${range[1]}]`,
    );
}

/** Whether `value` is a number to draw (not missing, not NaN or infinite). */
export function isPresent(value: Value): value is number {
  return typeof value === "number" && Number.isFinite(value);
}
