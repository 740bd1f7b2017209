import { PNG } from "pngjs";
import { GLYPH_HEIGHT, GLYPH_SPACING, GLYPH_WIDTH, glyphPixel, glyphRows, textSize } from "./bitmap-font";
import { type Rgb, type Rgba, WHITE } from "./palette";
import { PlotsError } from "./plots-error";

/** A rectangle in pixels: left, top, width, height. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Options of {@link RasterCanvas.text}. */
export interface TextOptions {
  /** Each font pixel becomes a `scale`×`scale` square (a positive integer; default 1). */
  scale?: number;
  /** Read bottom to top (a y-axis title): (x, y) is then the bottom-left corner and glyph tops face left. */
  vertical?: boolean;
}

/** Marker shapes of {@link RasterCanvas.marker}. */
export type MarkerShape = "circle" | "square" | "diamond" | "triangle";

/**
 * A small RGBA rasterizer over a pixel buffer: rectangles, Bresenham lines (optionally thick), circles, markers and
 * bitmap text, encoded to PNG with pngjs. Pure TypeScript, so charts and task images need no native canvas or
 * browser. Coordinates are rounded to whole pixels; drawing outside the canvas is clipped. Colours with alpha are
 * blended over what is there.
 */
export class RasterCanvas {
  /** RGBA bytes, row by row. */
  readonly data: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb | Rgba = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new PlotsError(`a canvas needs whole positive pixel sizes, got ${width}×${height}`);
    this.data = Buffer.alloc(width * height * 4);
    this.data.fill(Buffer.from([background[0], background[1], background[2], background[3] ?? 255]));
  }

  setPixel(x: number, y: number, color: Rgb | Rgba): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    this.#write((py * this.width + px) * 4, color);
  }

  /** The RGBA value at (x, y); throws for a point outside the canvas. */
  getPixel(x: number, y: number): Rgba {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height)
      throw new PlotsError(`pixel (${x}, ${y}) is outside the ${this.width}×${this.height} canvas`);
    const i = (Math.round(y) * this.width + Math.round(x)) * 4;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!, this.data[i + 3]!];
  }

  /** Fills the part of the rectangle inside the canvas; edges are rounded to whole pixels. */
  fillRect(x: number, y: number, width: number, height: number, color: Rgb | Rgba): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + width));
    const y1 = Math.min(this.height, Math.round(y + height));
    for (let py = y0; py < y1; py++) {
      for (let i = (py * this.width + x0) * 4, end = (py * this.width + x1) * 4; i < end; i += 4)
        this.#write(i, color);
    }
  }

  /** A rectangle's outline, `thickness` pixels wide, inside the rectangle. */
  strokeRect(x: number, y: number, width: number, height: number, color: Rgb | Rgba, thickness = 1): void {
    this.fillRect(x, y, width, thickness, color);
    this.fillRect(x, y + height - thickness, width, thickness, color);
    this.fillRect(x, y + thickness, thickness, height - 2 * thickness, color);
    this.fillRect(x + width - thickness, y + thickness, thickness, height - 2 * thickness, color);
  }

  /** A straight line (Bresenham); thicker lines stamp a `thickness`-wide square at each step. */
  line(fromX: number, fromY: number, toX: number, toY: number, color: Rgb | Rgba, thickness = 1): void {
    let x = Math.round(fromX);
    let y = Math.round(fromY);
    const endX = Math.round(toX);
    const endY = Math.round(toY);
    const dx = Math.abs(endX - x);
    const dy = -Math.abs(endY - y);
    const stepX = x < endX ? 1 : -1;
    const stepY = y < endY ? 1 : -1;
    const brush = Math.max(1, Math.round(thickness));
    const offset = Math.floor((brush - 1) / 2);
    let error = dx + dy;
    for (;;) {
      if (brush === 1) this.setPixel(x, y, color);
      else this.fillRect(x - offset, y - offset, brush, brush, color);
      if (x === endX && y === endY) return;
      const doubled = 2 * error;
      if (doubled >= dy) {
        error += dy;
        x += stepX;
      }
      if (doubled <= dx) {
        error += dx;
        y += stepY;
      }
    }
  }

  /** Connected line segments through `points`. */
  polyline(points: readonly (readonly [number, number])[], color: Rgb | Rgba, thickness = 1): void {
    if (points.length === 1)
      this.line(points[0]![0], points[0]![1], points[0]![0], points[0]![1], color, thickness);
    for (let i = 1; i < points.length; i++)
      this.line(points[i - 1]![0], points[i - 1]![1], points[i]![0], points[i]![1], color, thickness);
  }

  fillCircle(cx: number, cy: number, radius: number, color: Rgb | Rgba): void {
    const x0 = Math.round(cx);
    const y0 = Math.round(cy);
    const r = Math.max(0, Math.round(radius));
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) this.setPixel(x0 + dx, y0 + dy, color);
    }
  }

  /** A filled marker of half-size `radius` centred on (cx, cy). */
  marker(cx: number, cy: number, radius: number, color: Rgb | Rgba, shape: MarkerShape = "circle"): void {
    const x0 = Math.round(cx);
    const y0 = Math.round(cy);
    const r = Math.max(0, Math.round(radius));
    if (shape === "circle") {
      this.fillCircle(x0, y0, r, color);
      return;
    }
    if (shape === "square") {
      this.fillRect(x0 - r, y0 - r, 2 * r + 1, 2 * r + 1, color);
      return;
    }
    for (let dy = -r; dy <= r; dy++) {
      // Diamond: |dx| + |dy| <= r. Triangle (apex up): the half-width grows from 0 at the top to r at the bottom.
      const half = shape === "diamond" ? r - Math.abs(dy) : Math.floor((dy + r) / 2);
      for (let dx = -half; dx <= half; dx++) this.setPixel(x0 + dx, y0 + dy, color);
    }
  }

  /**
   * Draws `text` with the built-in 5×7 font, top-left at (x, y) rounded to whole pixels, and returns the box it
   * covers. Lowercase is drawn as capitals, unknown characters as "?".
   */
  text(text: string, x: number, y: number, color: Rgb | Rgba, options: TextOptions = {}): Box {
    const scale = options.scale ?? 1;
    if (!Number.isInteger(scale) || scale < 1)
      throw new PlotsError(`text scale must be a positive integer, got ${scale}`);
    const left = Math.round(x);
    const top = Math.round(y);
    const advance = (GLYPH_WIDTH + GLYPH_SPACING) * scale;
    [...text].forEach((character, index) => {
      const rows = glyphRows(character);
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let column = 0; column < GLYPH_WIDTH; column++) {
          if (!glyphPixel(rows, column, row)) continue;
          if (options.vertical)
            this.fillRect(
              left + row * scale,
              top - index * advance - (column + 1) * scale,
              scale,
              scale,
              color,
            );
          else this.fillRect(left + index * advance + column * scale, top + row * scale, scale, scale, color);
        }
      }
    });
    const size = textSize(text, scale);
    return options.vertical
      ? { x: left, y: top - size.width, width: size.height, height: size.width }
      : { x: left, y: top, ...size };
  }

  /** Whether every pixel is fully opaque. */
  isOpaque(): boolean {
    for (let i = 3; i < this.data.length; i += 4) if (this.data[i] !== 255) return false;
    return true;
  }

  /** The PNG file bytes: RGB when every pixel is opaque, RGBA otherwise. */
  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    // One fixed filter (Sub) instead of pngjs' per-row search over all five: flat-colour images compress about as
    // well, several times faster.
    return PNG.sync.write(png, { colorType: this.isOpaque() ? 2 : 6, filterType: 1 });
  }

  /** The image as a `data:image/png;base64,…` URI. */
  toDataUri(): string {
    return `data:image/png;base64,${this.toPng().toString("base64")}`;
  }

  #write(i: number, color: Rgb | Rgba): void {
    const alpha = color[3] ?? 255;
    if (alpha >= 255) {
      this.data[i] = color[0];
      this.data[i + 1] = color[1];
      this.data[i + 2] = color[2];
      this.data[i + 3] = 255;
      return;
    }
    if (alpha <= 0) return;
    // Source-over blending with straight (unpremultiplied) alpha.
    const a = alpha / 255;
    const under = this.data[i + 3]! / 255;
    const out = a + under * (1 - a);
    for (let c = 0; c < 3; c++)
      this.data[i + c] = Math.round((color[c]! * a + this.data[i + c]! * under * (1 - a)) / out);
    this.data[i + 3] = Math.round(out * 255);
  }
}
