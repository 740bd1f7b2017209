import jpeg from "jpeg-js";
import { PNG } from "pngjs";

/** An RGBA image in memory. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

/** Distinct synthetic pictures: smooth shapes, so a perceptual hash has structure to see. */
export type Scene = "disk-left" | "stripes" | "diagonal" | "ring-right" | "checker";

/** Draws `scene` at any size (coordinates are fractions of the image, so sizes give the same picture). */
export function renderScene(scene: Scene, width: number, height: number): RgbaImage {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width;
      const v = (y + 0.5) / height;
      let r = 0;
      let g = 0;
      let b = 0;
      switch (scene) {
        case "disk-left": {
          const inside = (u - 0.3) ** 2 + (v - 0.4) ** 2 < 0.05;
          r = inside ? 20 : 200 * u + 40;
          g = inside ? 30 : 180 * v + 50;
          b = inside ? 40 : 220;
          break;
        }
        case "stripes": {
          // Tilted: perfectly horizontal bands leave most DCT coefficients at zero, where noise sets the bits.
          const band = Math.floor((0.8 * u + 0.5 * v) * 5) % 2 === 0;
          r = band ? 240 : 30;
          g = band ? 220 : 40;
          b = band ? 60 : 200;
          break;
        }
        case "diagonal": {
          const above = u + v < 1;
          r = above ? 250 : 10;
          g = above ? 250 : 10;
          b = above ? 250 : 10;
          break;
        }
        case "ring-right": {
          const d = Math.sqrt((u - 0.7) ** 2 + (v - 0.6) ** 2);
          const ring = d > 0.15 && d < 0.28;
          r = ring ? 250 : 60 + 100 * v;
          g = ring ? 120 : 60;
          b = ring ? 0 : 90 + 100 * (1 - u);
          break;
        }
        case "checker": {
          const on = (Math.floor(u * 4) + Math.floor(v * 4)) % 2 === 0;
          const shade = 40 * u + 30 * v; // a little gradient, as photos have
          r = g = b = on ? 200 + shade : 20 + shade;
          break;
        }
      }
      // Smooth texture that breaks the scenes' symmetries: a perfectly symmetric picture leaves many DCT
      // coefficients at exactly zero, where noise decides the hash bits (photos are not like that).
      const texture =
        18 * Math.sin(7.3 * u + 2.1 * v + 1) +
        14 * Math.sin(3.1 * u - 5.7 * v + 2) +
        10 * Math.sin(11 * u + 4 * v);
      const p = (y * width + x) * 4;
      data[p] = clamp(r + texture);
      data[p + 1] = clamp(g + texture);
      data[p + 2] = clamp(b + texture);
      data[p + 3] = 255;
    }
  }
  return { width, height, data };
}

function clamp(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}

/** Bilinear resize (a different filter from the hash's area average, as a real re-encoder would use). */
export function resizeBilinear(image: RgbaImage, width: number, height: number): RgbaImage {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, ((y + 0.5) * image.height) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, ((x + 0.5) * image.width) / width - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(image.width - 1, x0 + 1);
      const fx = sx - x0;
      for (let c = 0; c < 4; c++) {
        const at = (xx: number, yy: number) => image.data[(yy * image.width + xx) * 4 + c]!;
        const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
        const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
        data[(y * width + x) * 4 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width, height, data };
}

export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  image.data.copy(png.data);
  return PNG.sync.write(png);
}

export function encodeJpeg(image: RgbaImage, quality: number): Buffer {
  return jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality).data;
}

export function pngDataUri(bytes: Buffer): string {
  return `data:image/png;base64,${bytes.toString("base64")}`;
}

export function jpegDataUri(bytes: Buffer): string {
  return `data:image/jpeg;base64,${bytes.toString("base64")}`;
}
