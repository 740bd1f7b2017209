import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { sniffImageFormat } from "./image-bytes";

/** Largest image decoded (pixels): bounds the memory a hostile or huge image can take. */
export const MAX_DECODED_PIXELS = 40_000_000;

/** Luma in 0..255, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Float32Array;
}

/**
 * Decodes PNG (pngjs) or JPEG (jpeg-js) bytes to luma (ITU-R BT.601 weights), transparent pixels composited
 * over white. Throws an Error saying why for other formats, corrupt data, or images over `MAX_DECODED_PIXELS`.
 */
export function decodeGrayscale(bytes: Uint8Array): GrayImage {
  const format = sniffImageFormat(bytes);
  if (format === "png") {
    // The header says the size; refuse before pngjs allocates width*height*4 bytes.
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.length >= 24 && view.readUInt32BE(16) * view.readUInt32BE(20) > MAX_DECODED_PIXELS) {
      throw new Error(
        `PNG of ${view.readUInt32BE(16)}x${view.readUInt32BE(20)} is larger than ${MAX_DECODED_PIXELS} pixels`,
      );
    }
    const png = PNG.sync.read(view);
    return toGray(png.width, png.height, png.data);
  }
  if (format === "jpeg") {
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_DECODED_PIXELS / 1_000_000,
      maxMemoryUsageInMB: 1024,
    });
    return toGray(image.width, image.height, image.data);
  }
  throw new Error(
    format === undefined
      ? "not a PNG or JPEG image"
      : `${format} images are not supported (PNG and JPEG are)`,
  );
}

function toGray(width: number, height: number, rgba: Uint8Array): GrayImage {
  if (width === 0 || height === 0) throw new Error("the image has no pixels");
  const pixels = new Float32Array(width * height);
  for (let i = 0, p = 0; i < pixels.length; i++, p += 4) {
    const luma = 0.299 * rgba[p]! + 0.587 * rgba[p + 1]! + 0.114 * rgba[p + 2]!;
    const alpha = rgba[p + 3]! / 255;
    pixels[i] = alpha * luma + (1 - alpha) * 255;
  }
  return { width, height, pixels };
}
