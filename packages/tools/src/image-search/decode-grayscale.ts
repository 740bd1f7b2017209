import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { sniffImageFormat } from "./image-bytes";
import { type ImageDimensions, jpegDimensions, pngDimensions } from "./image-dimensions";

/**
 * Largest image decoded by default (pixels): 12 MP holds a 4000×3000 photo. Decoding runs on the server's event
 * loop and a tiny file can claim a huge size (a 40 MP PNG of one colour compresses to kilobytes and took 4 s and
 * 400 MB to decode), so the size is read from the header and checked before any decoding.
 */
export const MAX_DECODED_PIXELS = 12_000_000;

/** Luma in 0..255, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Float32Array;
}

/**
 * Decodes PNG (pngjs) or JPEG (jpeg-js) bytes to luma (ITU-R BT.601 weights), transparent pixels composited
 * over white. Throws an Error saying why for other formats, corrupt data, a header that states no size, or images
 * over `maxPixels` (checked from the header before anything is decoded).
 */
export function decodeGrayscale(bytes: Uint8Array, maxPixels: number = MAX_DECODED_PIXELS): GrayImage {
  const format = sniffImageFormat(bytes);
  if (format === "png") {
    checkSize("PNG", pngDimensions(bytes), maxPixels);
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return toGray(png.width, png.height, png.data);
  }
  if (format === "jpeg") {
    checkSize("JPEG", jpegDimensions(bytes), maxPixels);
    const image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      // A second guard inside the decoder, should a later frame header differ from the first.
      maxResolutionInMP: maxPixels / 1_000_000,
      maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / 1024 ** 2) + 64,
    });
    return toGray(image.width, image.height, image.data);
  }
  throw new Error(
    format === undefined
      ? "not a PNG or JPEG image"
      : `${format} images are not supported (PNG and JPEG are)`,
  );
}

function checkSize(format: string, size: ImageDimensions | undefined, maxPixels: number): void {
  if (size === undefined)
    throw new Error(`the ${format} header states no image size (corrupt or truncated file)`);
  if (size.width === 0 || size.height === 0) throw new Error("the image has no pixels");
  if (size.width * size.height > maxPixels) {
    throw new Error(
      `${format} of ${size.width}x${size.height} is larger than ${maxPixels} pixels; send a smaller image`,
    );
  }
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
