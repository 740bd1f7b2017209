import { GLYPH_HEIGHT, textWidth } from "./bitmap-font";
import type { ChartScene, SceneShape } from "./chart-scene";
import type { Chart } from "./chart-spec";
import { layoutChart } from "./layout-chart";
import { PlotsError } from "./plots-error";
import { RasterCanvas } from "./raster-canvas";
import { fontScale } from "./text-metrics";

/** Options of {@link chartToPng}. */
export interface PngOptions {
  /** Device pixels per CSS pixel: 2 gives a sharp image at the SVG's displayed size (default 1). */
  pixelRatio?: number;
}

function drawShape(canvas: RasterCanvas, shape: SceneShape, r: number): void {
  switch (shape.type) {
    case "line":
      canvas.line(
        shape.x1 * r,
        shape.y1 * r,
        shape.x2 * r,
        shape.y2 * r,
        shape.color,
        Math.max(1, Math.round(shape.width * r)),
      );
      return;
    case "path":
      canvas.polyline(
        shape.points.map(([x, y]) => [x * r, y * r] as const),
        shape.color,
        Math.max(1, Math.round(shape.width * r)),
      );
      return;
    case "rect":
      canvas.fillRect(shape.x * r, shape.y * r, shape.width * r, shape.height * r, shape.color);
      return;
    case "marker":
      canvas.marker(shape.x * r, shape.y * r, shape.radius * r, shape.color, shape.shape);
      return;
    case "text": {
      const scale = fontScale(shape.size, r);
      const width = textWidth(shape.text, scale);
      const shift = shape.anchor === "middle" ? width / 2 : shape.anchor === "end" ? width : 0;
      if (shape.vertical)
        canvas.text(shape.text, shape.x * r - GLYPH_HEIGHT * scale, shape.y * r + shift, shape.color, {
          scale,
          vertical: true,
        });
      else
        canvas.text(shape.text, shape.x * r - shift, shape.y * r - GLYPH_HEIGHT * scale, shape.color, {
          scale,
        });
      return;
    }
    case "group":
      for (const child of shape.children) drawShape(canvas, child, r);
  }
}

/** An already laid-out scene drawn on a new canvas. */
export function sceneToCanvas(scene: ChartScene, options: PngOptions = {}): RasterCanvas {
  const r = options.pixelRatio ?? 1;
  if (!Number.isFinite(r) || r <= 0 || r > 8)
    throw new PlotsError(`pixelRatio must be a number in (0, 8], got ${r}`);
  const canvas = new RasterCanvas(Math.round(scene.width * r), Math.round(scene.height * r));
  for (const shape of scene.shapes) drawShape(canvas, shape, r);
  return canvas;
}

/** A chart as PNG file bytes: the same layout as its SVG, drawn with the built-in bitmap font. */
export function chartToPng(chart: Chart, options: PngOptions = {}): Buffer {
  return sceneToCanvas(layoutChart(chart), options).toPng();
}

/** A chart as a `data:image/png;base64,…` URI (for `<img>` in Markdown or HTML). */
export function chartToDataUri(chart: Chart, options: PngOptions = {}): string {
  return `data:image/png;base64,${chartToPng(chart, options).toString("base64")}`;
}
