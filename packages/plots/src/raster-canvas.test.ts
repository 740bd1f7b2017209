import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { glyphPixel, glyphRows } from "./bitmap-font";
import type { Rgb } from "./palette";
import { PlotsError } from "./plots-error";
import { RasterCanvas } from "./raster-canvas";

const RED: Rgb = [200, 0, 0];
const rgb = (canvas: RasterCanvas, x: number, y: number) => canvas.getPixel(x, y).slice(0, 3);

function inked(canvas: RasterCanvas): Set<string> {
  const set = new Set<string>();
  for (let y = 0; y < canvas.height; y++)
    for (let x = 0; x < canvas.width; x++) if (canvas.getPixel(x, y)[0] !== 255) set.add(`${x},${y}`);
  return set;
}

describe("RasterCanvas", () => {
  it("starts filled with the background and clips drawing outside it", () => {
    const canvas = new RasterCanvas(4, 3, [1, 2, 3]);
    expect(canvas.getPixel(3, 2)).toEqual([1, 2, 3, 255]);
    canvas.fillRect(-10, -10, 12, 11, RED);
    canvas.setPixel(99, 99, RED);
    expect(rgb(canvas, 1, 0)).toEqual([...RED]);
    expect(rgb(canvas, 2, 0)).toEqual([1, 2, 3]);
    expect(rgb(canvas, 0, 1)).toEqual([1, 2, 3]);
    expect(() => canvas.getPixel(4, 0)).toThrow(PlotsError);
    expect(() => new RasterCanvas(0, 5)).toThrow(/whole positive/);
  });

  it("draws Bresenham lines through both end points, one pixel per step of the longer axis", () => {
    const canvas = new RasterCanvas(20, 20);
    canvas.line(2, 3, 12, 8, RED);
    const pixels = inked(canvas);
    expect(pixels.has("2,3")).toBe(true);
    expect(pixels.has("12,8")).toBe(true);
    expect(pixels.has("7,5") || pixels.has("7,6")).toBe(true);
    expect(pixels.size).toBe(11);
    const diagonal = new RasterCanvas(10, 10);
    diagonal.line(9, 9, 0, 0, RED);
    expect([...inked(diagonal)].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `${i},${i}`).sort());
  });

  it("draws thick lines as a band `thickness` pixels across", () => {
    const canvas = new RasterCanvas(30, 30);
    canvas.line(5, 15, 25, 15, RED, 3);
    expect(rgb(canvas, 15, 14)).toEqual([...RED]);
    expect(rgb(canvas, 15, 16)).toEqual([...RED]);
    expect(rgb(canvas, 15, 17)).toEqual([255, 255, 255]);
    expect(rgb(canvas, 15, 13)).toEqual([255, 255, 255]);
  });

  it("fills circles and markers around their centre, inside their radius only", () => {
    const canvas = new RasterCanvas(40, 20);
    canvas.fillCircle(10, 10, 4, RED);
    expect(rgb(canvas, 10, 10)).toEqual([...RED]);
    expect(rgb(canvas, 14, 10)).toEqual([...RED]);
    expect(rgb(canvas, 13, 13)).toEqual([255, 255, 255]); // 3² + 3² > 4²
    canvas.marker(30, 10, 3, RED, "diamond");
    expect(rgb(canvas, 30, 7)).toEqual([...RED]);
    expect(rgb(canvas, 32, 8)).toEqual([255, 255, 255]);
    canvas.marker(20, 10, 2, RED, "square");
    expect(rgb(canvas, 22, 12)).toEqual([...RED]);
  });

  it("draws text glyph by glyph at integer scales, and vertical text reading upwards", () => {
    const canvas = new RasterCanvas(60, 40);
    const box = canvas.text("A7", 3, 4, RED, { scale: 2 });
    expect(box).toEqual({ x: 3, y: 4, width: 22, height: 14 });
    ["A", "7"].forEach((character, index) => {
      const rows = glyphRows(character);
      for (let row = 0; row < 7; row++)
        for (let column = 0; column < 5; column++) {
          const x = 3 + index * 12 + column * 2 + 1;
          const y = 4 + row * 2 + 1;
          expect(rgb(canvas, x, y)).toEqual(glyphPixel(rows, column, row) ? [...RED] : [255, 255, 255]);
        }
    });
    const vertical = new RasterCanvas(20, 20);
    const up = vertical.text("1", 5, 15, RED, { vertical: true });
    expect(up).toEqual({ x: 5, y: 10, width: 7, height: 5 });
    // "1" has a full-height stem in column 2: rotated, it becomes a row of 7 pixels at y = 15 - 3.
    for (let row = 0; row < 7; row++) expect(rgb(vertical, 5 + row, 12)).toEqual([...RED]);
    expect(() => canvas.text("x", 0, 0, RED, { scale: 1.5 })).toThrow(/positive integer/);
  });

  it("blends colours with alpha over what is there", () => {
    const canvas = new RasterCanvas(2, 1, [0, 0, 0]);
    canvas.setPixel(0, 0, [255, 255, 255, 128]);
    const [r, , , a] = canvas.getPixel(0, 0);
    expect(r).toBeGreaterThan(120);
    expect(r).toBeLessThan(136);
    expect(a).toBe(255);
  });

  it("encodes an opaque canvas as an RGB PNG and a translucent one as RGBA, pixel for pixel", () => {
    const canvas = new RasterCanvas(7, 5);
    canvas.fillRect(1, 1, 3, 2, RED);
    const png = canvas.toPng();
    expect(png[25]).toBe(2); // IHDR colour type: truecolour
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([7, 5]);
    expect(Buffer.compare(decoded.data, canvas.data)).toBe(0);
    expect(canvas.toDataUri()).toBe(`data:image/png;base64,${png.toString("base64")}`);
    const clear = new RasterCanvas(3, 3, [0, 0, 0, 0]);
    clear.setPixel(1, 1, RED);
    const clearPng = clear.toPng();
    expect(clearPng[25]).toBe(6); // truecolour with alpha
    expect(PNG.sync.read(clearPng).data[3]).toBe(0);
  });
});
