import { binValues } from "./bin-values";
import { type AxisScale, type ChartScene, type SceneShape, scalePosition } from "./chart-scene";
import {
  type BarChart,
  type Chart,
  type Histogram,
  isPresent,
  type LineChart,
  type ScatterChart,
  type ValueFormat,
} from "./chart-spec";
import { formatTick, formatValue } from "./format-value";
import { type NiceTicks, niceTicks } from "./nice-ticks";
import { AXIS_COLOR, GRID_COLOR, INK, paletteColor, type Rgb, WHITE } from "./palette";
import { estimateTextWidth } from "./text-metrics";

const DEFAULT_WIDTH = 640;
const DEFAULT_HEIGHT = 360;
const MAX_LABEL_CHARS = 32;
/** Series with more points than this get no dots by default (the line says it all). */
const MARKER_POINT_LIMIT = 60;

interface Frame {
  width: number;
  height: number;
  /** Font scale: charts wider than the default get larger text, up to twice. */
  k: number;
  shapes: SceneShape[];
}

/** Lays a chart out: axes, ticks, marks, labels and legend as plain shapes for the SVG and PNG renderers. */
export function layoutChart(chart: Chart): ChartScene {
  switch (chart.kind) {
    case "line":
      return layoutLine(chart);
    case "bar":
      return layoutBar(chart);
    case "histogram":
      return layoutHistogram(chart);
    case "scatter":
      return layoutScatter(chart);
  }
}

function startFrame(chart: Chart): Frame {
  const width = chart.width ?? DEFAULT_WIDTH;
  const height = chart.height ?? DEFAULT_HEIGHT;
  const k = Math.min(2, Math.max(1, width / DEFAULT_WIDTH));
  const shapes: SceneShape[] = [
    { type: "rect", x: 0, y: 0, width, height, color: WHITE, className: "background" },
    text(width / 2, 24 * k, chart.title, 15 * k, "middle", "plot-title", { bold: true }),
  ];
  return { width, height, k, shapes };
}

function text(
  x: number,
  y: number,
  content: string,
  size: number,
  anchor: "start" | "middle" | "end",
  className: string,
  extra: { color?: Rgb; vertical?: boolean; bold?: boolean } = {},
): SceneShape {
  return {
    type: "text",
    x,
    y,
    text: content,
    size,
    anchor,
    className,
    color: extra.color ?? INK,
    ...(extra.vertical ? { vertical: true } : {}),
    ...(extra.bold ? { bold: true } : {}),
  };
}

function clip(label: string, chars = MAX_LABEL_CHARS): string {
  const characters = [...label];
  return characters.length <= chars ? label : `${characters.slice(0, Math.max(1, chars - 2)).join("")}..`;
}

function emptyScene(chart: Chart, frame: Frame, fallback: string): ChartScene {
  const message = chart.emptyMessage ?? fallback;
  frame.shapes.push(text(frame.width / 2, frame.height / 2, message, 13 * frame.k, "middle", "empty"));
  return {
    kind: chart.kind,
    id: chart.id ?? chart.kind,
    title: chart.title,
    width: frame.width,
    height: frame.height,
    plot: { left: 0, top: 0, right: frame.width, bottom: frame.height },
    empty: true,
    shapes: frame.shapes,
  };
}

/** Extent of `values` merged with an optional least range. */
function extent(values: readonly number[], range: readonly [number, number] | undefined): [number, number] {
  let lo = range?.[0] ?? Number.POSITIVE_INFINITY;
  let hi = range?.[1] ?? Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value < lo) lo = value;
    if (value > hi) hi = value;
  }
  return [lo, hi];
}

interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Margins that fit the y tick labels, the axis titles and (on the right) a legend of `legendWidth`. */
function margins(
  frame: Frame,
  yLabels: readonly string[],
  xTitle: boolean,
  yTitle: boolean,
  legendWidth = 0,
  lastXLabel = "",
) {
  const tick = 11 * frame.k;
  const widest = Math.max(0, ...yLabels.map((label) => estimateTextWidth(label, tick)));
  return {
    left: Math.round(12 * frame.k + widest + 8 + (yTitle ? 22 * frame.k : 0)),
    // Room for the legend, and for the right half of the last x tick label, centred on the plot's right edge.
    right: Math.round(Math.max(20 * frame.k + legendWidth, estimateTextWidth(lastXLabel, tick) / 2 + 6)),
    top: Math.round(40 * frame.k),
    bottom: Math.round(26 * frame.k + (xTitle ? 22 * frame.k : 0)),
  } satisfies Margins;
}

function plotArea(frame: Frame, m: Margins) {
  return { left: m.left, top: m.top, right: frame.width - m.right, bottom: frame.height - m.bottom };
}

/** Horizontal grid lines and labels at the y ticks. */
function yAxis(frame: Frame, area: ChartScene["plot"], y: AxisScale, ticks: NiceTicks, format: ValueFormat) {
  for (const tick of ticks.ticks) {
    const py = scalePosition(y, tick);
    frame.shapes.push(
      {
        type: "line",
        x1: area.left,
        y1: py,
        x2: area.right,
        y2: py,
        color: GRID_COLOR,
        width: 1,
        className: "grid",
      },
      text(
        area.left - 8,
        py + 4 * frame.k,
        formatTick(tick, format, ticks.step),
        11 * frame.k,
        "end",
        "tick",
      ),
    );
  }
}

/** Vertical grid lines and labels at the x ticks. */
function xAxis(frame: Frame, area: ChartScene["plot"], x: AxisScale, ticks: NiceTicks, format: ValueFormat) {
  for (const tick of ticks.ticks) {
    if (tick < x.min - 1e-12 || tick > x.max + 1e-12) continue;
    const px = scalePosition(x, tick);
    frame.shapes.push(
      {
        type: "line",
        x1: px,
        y1: area.top,
        x2: px,
        y2: area.bottom,
        color: GRID_COLOR,
        width: 1,
        className: "grid",
      },
      text(
        px,
        area.bottom + 16 * frame.k,
        formatTick(tick, format, ticks.step),
        11 * frame.k,
        "middle",
        "tick",
      ),
    );
  }
}

function axisLinesAndTitles(
  frame: Frame,
  area: ChartScene["plot"],
  xTitle: string | undefined,
  yTitle: string | undefined,
): void {
  frame.shapes.push(
    {
      type: "line",
      x1: area.left,
      y1: area.bottom,
      x2: area.right,
      y2: area.bottom,
      color: AXIS_COLOR,
      width: 1,
      className: "axis",
    },
    {
      type: "line",
      x1: area.left,
      y1: area.top,
      x2: area.left,
      y2: area.bottom,
      color: AXIS_COLOR,
      width: 1,
      className: "axis",
    },
  );
  if (xTitle)
    frame.shapes.push(
      text(
        (area.left + area.right) / 2,
        frame.height - 10 * frame.k,
        clip(xTitle, 60),
        12 * frame.k,
        "middle",
        "axis-title",
      ),
    );
  if (yTitle)
    frame.shapes.push(
      text(
        18 * frame.k,
        (area.top + area.bottom) / 2,
        clip(yTitle, 40),
        12 * frame.k,
        "middle",
        "axis-title",
        {
          vertical: true,
        },
      ),
    );
}

function scene(
  chart: Chart,
  frame: Frame,
  area: ChartScene["plot"],
  x: AxisScale | undefined,
  y: AxisScale,
): ChartScene {
  return {
    kind: chart.kind,
    id: chart.id ?? chart.kind,
    title: chart.title,
    width: frame.width,
    height: frame.height,
    plot: area,
    ...(x === undefined ? {} : { x }),
    y,
    empty: false,
    shapes: frame.shapes,
  };
}

function tickLabels(ticks: NiceTicks, format: ValueFormat): string[] {
  return ticks.ticks.map((tick) => formatTick(tick, format, ticks.step));
}

function layoutLine(chart: LineChart): ChartScene {
  const frame = startFrame(chart);
  const series = chart.series.map((s) => ({
    name: s.name,
    points: s.points
      .map(([px, py]) => [px, py] as const)
      .sort((a, b) => (isPresent(a[0]) && isPresent(b[0]) ? a[0] - b[0] : 0)),
  }));
  const present = series.flatMap((s) =>
    s.points.filter((p): p is readonly [number, number] => isPresent(p[0]) && isPresent(p[1])),
  );
  if (present.length === 0)
    return emptyScene(
      chart,
      frame,
      chart.series.length === 0 ? "no data: no series given" : "no data: every series is empty",
    );
  const xTicks = niceTicks(
    ...extent(
      present.map((p) => p[0]),
      chart.xRange,
    ),
    6,
  );
  const yTicks = niceTicks(
    ...extent(
      present.map((p) => p[1]),
      chart.yRange,
    ),
    5,
  );
  const xFormat = chart.xFormat ?? "number";
  const yFormat = chart.yFormat ?? "number";
  const legendSize = 12 * frame.k;
  const named = series.length > 1 || (series.length === 1 && series[0]!.name !== "");
  const legendWidth = named
    ? 24 * frame.k + Math.max(...series.map((s) => estimateTextWidth(clip(s.name, 24), legendSize)))
    : 0;
  const area = plotArea(
    frame,
    margins(
      frame,
      tickLabels(yTicks, yFormat),
      !!chart.xLabel,
      !!chart.yLabel,
      legendWidth,
      tickLabels(xTicks, xFormat).at(-1),
    ),
  );
  const x: AxisScale = { min: xTicks.min, max: xTicks.max, from: area.left, to: area.right };
  const y: AxisScale = { min: yTicks.min, max: yTicks.max, from: area.bottom, to: area.top };
  yAxis(frame, area, y, yTicks, yFormat);
  xAxis(frame, area, x, xTicks, xFormat);
  axisLinesAndTitles(frame, area, chart.xLabel, chart.yLabel);
  const markers = chart.markers ?? series.every((s) => s.points.length <= MARKER_POINT_LIMIT);
  series.forEach((s, index) => {
    const color = paletteColor(index);
    const children: SceneShape[] = [];
    // A missing point breaks the line: the gap stays visible instead of being bridged or drawn at 0.
    let run: [number, number][] = [];
    const flush = () => {
      if (run.length > 1) children.push({ type: "path", points: run, color, width: 2, className: "line" });
      else if (run.length === 1 && !markers)
        children.push({
          type: "marker",
          x: run[0]![0],
          y: run[0]![1],
          radius: 3,
          color,
          shape: "circle",
          className: "marker",
        });
      run = [];
    };
    for (const [px, py] of s.points) {
      if (isPresent(px) && isPresent(py)) run.push([scalePosition(x, px), scalePosition(y, py)]);
      else flush();
    }
    flush();
    if (markers)
      for (const [px, py] of s.points) {
        if (isPresent(px) && isPresent(py))
          children.push({
            type: "marker",
            x: scalePosition(x, px),
            y: scalePosition(y, py),
            radius: 3,
            color,
            shape: "circle",
            className: "marker",
          });
      }
    frame.shapes.push({ type: "group", className: "series", tooltip: s.name, children });
  });
  if (named) {
    const children: SceneShape[] = [];
    series.forEach((s, index) => {
      const top = area.top + index * 18 * frame.k;
      const left = area.right + 10 * frame.k;
      children.push(
        {
          type: "rect",
          x: left,
          y: top + 2 * frame.k,
          width: 10 * frame.k,
          height: 10 * frame.k,
          color: paletteColor(index),
          className: "legend-swatch",
        },
        text(left + 16 * frame.k, top + 11 * frame.k, clip(s.name, 24), legendSize, "start", "legend-label"),
      );
    });
    frame.shapes.push({ type: "group", className: "legend", children });
  }
  return scene(chart, frame, area, x, y);
}

function layoutBar(chart: BarChart): ChartScene {
  const frame = startFrame(chart);
  if (chart.bars.length === 0) return emptyScene(chart, frame, "no data: no bars given");
  const values = chart.bars.map((bar) => bar.value).filter(isPresent);
  const yFormat = chart.yFormat ?? "number";
  const [lo, hi] = extent([0, ...values], chart.yRange);
  const yTicks = niceTicks(lo, hi, 5);
  const area = plotArea(frame, margins(frame, tickLabels(yTicks, yFormat), !!chart.xLabel, !!chart.yLabel));
  const y: AxisScale = { min: yTicks.min, max: yTicks.max, from: area.bottom, to: area.top };
  yAxis(frame, area, y, yTicks, yFormat);
  axisLinesAndTitles(frame, area, chart.xLabel, chart.yLabel);
  const slot = (area.right - area.left) / chart.bars.length;
  const labelChars = Math.max(3, Math.floor(slot / (11 * frame.k * 0.75)));
  const color = paletteColor(chart.colorIndex ?? 0);
  const zero = scalePosition(y, Math.min(Math.max(0, y.min), y.max));
  chart.bars.forEach((bar, index) => {
    const x = area.left + index * slot + slot * 0.15;
    const width = slot * 0.7;
    const centre = x + width / 2;
    const children: SceneShape[] = [];
    let valueLabel = "n/a";
    let labelY = zero - 4 * frame.k;
    if (isPresent(bar.value)) {
      const top = scalePosition(y, bar.value);
      children.push({
        type: "rect",
        x,
        y: Math.min(top, zero),
        width,
        height: Math.abs(zero - top),
        color,
        className: "bar-rect",
      });
      valueLabel = formatValue(bar.value, yFormat);
      labelY = Math.min(top, zero) - 4 * frame.k;
    }
    if (estimateTextWidth(valueLabel, 10 * frame.k) <= slot)
      children.push(text(centre, labelY, valueLabel, 10 * frame.k, "middle", "value"));
    children.push(
      text(centre, area.bottom + 16 * frame.k, clip(bar.label, labelChars), 11 * frame.k, "middle", "tick"),
    );
    const note = bar.note ? ` (${bar.note})` : "";
    frame.shapes.push({
      type: "group",
      className: "bar",
      tooltip: `${bar.label}${note}: ${valueLabel}`,
      children,
    });
  });
  return scene(chart, frame, area, undefined, y);
}

function layoutHistogram(chart: Histogram): ChartScene {
  const frame = startFrame(chart);
  const binned = binValues(chart.values, { bins: chart.bins, range: chart.range });
  if (binned.counts.every((count) => count === 0))
    return emptyScene(
      chart,
      frame,
      chart.values.length === 0 ? "no data: no values given" : "no data: no value is a number in range",
    );
  const xFormat = chart.xFormat ?? "number";
  const peak = Math.max(...binned.counts);
  // No more intervals than the peak count, so integer tick labels never repeat.
  const yTicks = niceTicks(0, peak, Math.min(5, peak));
  const yTitle = chart.yLabel ?? "count";
  const xTicks = niceTicks(binned.edges[0]!, binned.edges.at(-1)!, 6);
  const area = plotArea(
    frame,
    margins(
      frame,
      tickLabels(yTicks, "integer"),
      !!chart.xLabel,
      yTitle !== "",
      0,
      tickLabels(xTicks, xFormat).at(-1),
    ),
  );
  const x: AxisScale = { min: binned.edges[0]!, max: binned.edges.at(-1)!, from: area.left, to: area.right };
  const y: AxisScale = { min: yTicks.min, max: yTicks.max, from: area.bottom, to: area.top };
  yAxis(frame, area, y, yTicks, "integer");
  xAxis(frame, area, x, xTicks, xFormat);
  axisLinesAndTitles(frame, area, chart.xLabel, yTitle);
  const color = paletteColor(chart.colorIndex ?? 0);
  binned.counts.forEach((count, index) => {
    const from = binned.edges[index]!;
    const to = binned.edges[index + 1]!;
    const left = scalePosition(x, from);
    const right = scalePosition(x, to);
    const top = scalePosition(y, count);
    const last = index === binned.counts.length - 1;
    const children: SceneShape[] =
      count === 0
        ? []
        : [
            {
              type: "rect",
              x: left + 0.5,
              y: top,
              width: Math.max(1, right - left - 1),
              height: area.bottom - top,
              color,
              className: "bar-rect",
            },
          ];
    frame.shapes.push({
      type: "group",
      className: "bar",
      tooltip: `[${formatValue(from, xFormat)}, ${formatValue(to, xFormat)}${last ? "]" : ")"}: ${count}`,
      children,
    });
  });
  if (binned.skipped > 0)
    frame.shapes.push(
      text(
        area.right,
        area.top - 6 * frame.k,
        `${binned.skipped} skipped (missing or out of range)`,
        10 * frame.k,
        "end",
        "note",
      ),
    );
  return scene(chart, frame, area, x, y);
}

function layoutScatter(chart: ScatterChart): ChartScene {
  const frame = startFrame(chart);
  const present = chart.points
    .map((point, index) => ({ point, index }))
    .filter(({ point }) => isPresent(point.x) && isPresent(point.y));
  if (present.length === 0)
    return emptyScene(
      chart,
      frame,
      chart.points.length === 0 ? "no data: no points given" : "no data: no point has both x and y",
    );
  const xs = present.map(({ point }) => point.x as number);
  const ys = present.map(({ point }) => point.y as number);
  const xTicks = niceTicks(...extent(xs, chart.xRange), 5);
  const yTicks = niceTicks(...extent(ys, chart.yRange), 5);
  const xFormat = chart.xFormat ?? "number";
  const yFormat = chart.yFormat ?? "number";
  const area = plotArea(
    frame,
    margins(
      frame,
      tickLabels(yTicks, yFormat),
      !!chart.xLabel,
      !!chart.yLabel,
      0,
      tickLabels(xTicks, xFormat).at(-1),
    ),
  );
  const x: AxisScale = { min: xTicks.min, max: xTicks.max, from: area.left, to: area.right };
  const y: AxisScale = { min: yTicks.min, max: yTicks.max, from: area.bottom, to: area.top };
  yAxis(frame, area, y, yTicks, yFormat);
  xAxis(frame, area, x, xTicks, xFormat);
  axisLinesAndTitles(frame, area, chart.xLabel, chart.yLabel);
  const size = 11 * frame.k;
  const radius = 6 * frame.k;
  for (const { point, index } of present) {
    const px = scalePosition(x, point.x as number);
    const py = scalePosition(y, point.y as number);
    const color = paletteColor(index);
    const label = clip(point.label);
    // The label goes right of the point unless it would leave the chart.
    const right = px + radius + 4 + estimateTextWidth(label, size) <= frame.width - 4;
    frame.shapes.push({
      type: "group",
      className: "point",
      tooltip: `${point.label}: ${chart.yLabel ?? "y"} ${formatValue(point.y as number, yFormat)}, ${chart.xLabel ?? "x"} ${formatValue(point.x as number, xFormat)}`,
      children: [
        { type: "marker", x: px, y: py, radius, color, shape: "circle", className: "point-marker" },
        text(
          right ? px + radius + 4 : px - radius - 4,
          py + 4 * frame.k,
          label,
          size,
          right ? "start" : "end",
          "point-label",
          { color },
        ),
      ],
    });
  }
  return scene(chart, frame, area, x, y);
}
