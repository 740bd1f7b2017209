export { type BinnedValues, binValues } from "./bin-values";
export {
  FONT_CHARACTERS,
  GLYPH_HEIGHT,
  GLYPH_SPACING,
  GLYPH_WIDTH,
  glyphPixel,
  glyphRows,
  hasGlyph,
  textSize,
  textWidth,
} from "./bitmap-font";
export { type AxisScale, type ChartScene, type SceneShape, scalePosition } from "./chart-scene";
export {
  type Bar,
  type BarChart,
  type BarChartSpec,
  barChart,
  type Chart,
  type ChartBase,
  type Histogram,
  type HistogramSpec,
  histogram,
  isPresent,
  type LineChart,
  type LineChartSpec,
  type LineSeries,
  lineChart,
  type ScatterChart,
  type ScatterChartSpec,
  type ScatterPoint,
  scatterChart,
  type Value,
  type ValueFormat,
} from "./chart-spec";
export { escapeHtml } from "./escape-html";
export { formatTick, formatValue } from "./format-value";
export { layoutChart } from "./layout-chart";
export { type NiceTicks, niceStep, niceTicks, stepDecimals } from "./nice-ticks";
export {
  AXIS_COLOR,
  cssColor,
  GRID_COLOR,
  INK,
  PALETTE,
  paletteColor,
  type Rgb,
  type Rgba,
  WHITE,
} from "./palette";
export { PlotsError } from "./plots-error";
export { type Box, type MarkerShape, RasterCanvas, type TextOptions } from "./raster-canvas";
export { chartToDataUri, chartToPng, type PngOptions, sceneToCanvas } from "./render-png";
export { chartToSvg, sceneToSvg } from "./render-svg";
export { estimateTextWidth, fontScale } from "./text-metrics";
