/** What an image's header says: its type and pixel size. */
export interface ImageHeader {
  mime: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  width: number;
  height: number;
}

/**
 * The type and size of a PNG, JPEG, GIF or WebP from its magic bytes and header, or why it cannot be read.
 * Headers only: a file cut after its header passes (decoding every pixel of every row would dominate the run).
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader | { error: string } {
  if (bytes.length < 12) return { error: `only ${bytes.length} bytes` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes[0] === 0x89 && ascii(1, 4) === "PNG") {
    if (bytes.length < 24 || ascii(12, 16) !== "IHDR") return { error: "PNG without an IHDR chunk" };
    return sized("image/png", view.getUint32(16), view.getUint32(20));
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHeader(bytes, view);
  if (ascii(0, 6) === "GIF87a" || ascii(0, 6) === "GIF89a") {
    return sized("image/gif", view.getUint16(6, true), view.getUint16(8, true));
  }
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return webpHeader(bytes, view, ascii);
  return { error: "unknown image type (not PNG, JPEG, GIF or WebP)" };
}

function sized(mime: ImageHeader["mime"], width: number, height: number): ImageHeader | { error: string } {
  if (width <= 0 || height <= 0) return { error: `${mime} header gives a ${width}x${height} image` };
  return { mime, width, height };
}

/** Walks the JPEG segments to the first start-of-frame marker (SOF0…SOF15 except DHT, JPG, DAC). */
function jpegHeader(bytes: Uint8Array, view: DataView): ImageHeader | { error: string } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return { error: `JPEG: no marker at byte ${at}` };
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return { error: "JPEG: no frame header before the scan" };
    const length = view.getUint16(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) return { error: "JPEG: frame header cut off" };
      return sized("image/jpeg", view.getUint16(at + 7), view.getUint16(at + 5));
    }
    at += 2 + length;
  }
  return { error: "JPEG: ends before a frame header" };
}

function webpHeader(
  bytes: Uint8Array,
  view: DataView,
  ascii: (from: number, to: number) => string,
): ImageHeader | { error: string } {
  if (bytes.length < 30) return { error: "WebP header cut off" };
  const chunk = ascii(12, 16);
  if (chunk === "VP8 ") {
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a)
      return { error: "WebP VP8: bad frame tag" };
    return sized("image/webp", view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
  }
  if (chunk === "VP8L") {
    if (bytes[20] !== 0x2f) return { error: "WebP VP8L: bad signature" };
    const bits = view.getUint32(21, true);
    return sized("image/webp", (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === "VP8X") {
    const width = 1 + (bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16));
    const height = 1 + (bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16));
    return sized("image/webp", width, height);
  }
  return { error: `WebP: unknown chunk "${chunk}"` };
}
