import type { Rgb } from "./palette";
import type { MarkerShape } from "./raster-canvas";

/** A linear map from data values [min, max] to pixels [from, to] (from > to for a y axis). */
export interface AxisScale {
  min: number;
  max: number;
  from: number;
  to: number;
}

/** The pixel of `value` on `scale`. */
export function scalePosition(scale: AxisScale, value: number): number {
  return scale.from + ((value - scale.min) / (scale.max - scale.min)) * (scale.to - scale.from);
}

/** What a chart draws, in CSS pixels; `className` becomes the SVG class. */
export type SceneShape =
  | {
      type: "line";
      x1: number;
      y1: number;
      x2: number;
      y2: number;
      color: Rgb;
      width: number;
      className: string;
    }
  | { type: "path"; points: [number, number][]; color: Rgb; width: number; className: string }
  | { type: "rect"; x: number; y: number; width: number; height: number; color: Rgb; className: string }
  | {
      type: "marker";
      x: number;
      y: number;
      radius: number;
      color: Rgb;
      shape: MarkerShape;
      className: string;
    }
  | {
      type: "text";
      /** The anchor point on the baseline. */
      x: number;
      y: number;
      text: string;
      color: Rgb;
      /** Font size in CSS pixels. */
      size: number;
      anchor: "start" | "middle" | "end";
      /** Read bottom to top, rotated about (x, y). */
      vertical?: boolean;
      bold?: boolean;
      className: string;
    }
  | { type: "group"; className: string; tooltip?: string; children: SceneShape[] };

/** A laid-out chart: the one geometry both the SVG and the PNG renderers draw. */
export interface ChartScene {
  kind: string;
  id: string;
  title: string;
  width: number;
  height: number;
  /** The plot area inside the axes. */
  plot: { left: number; top: number; right: number; bottom: number };
  /** Data-to-pixel scales (absent for an empty chart; a bar chart has only `y`). */
  x?: AxisScale;
  y?: AxisScale;
  /** True when there was nothing to draw and the chart shows its empty message instead. */
  empty: boolean;
  shapes: SceneShape[];
}
