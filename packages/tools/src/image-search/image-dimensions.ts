/** Width and height as an image's header states them. */
export interface ImageDimensions {
  width: number;
  height: number;
}

const PNG_SIGNATURE_BYTES = 8;

/**
 * The size a PNG's IHDR chunk states (it must be the first chunk), read from 24 bytes without decoding anything;
 * undefined when the header is missing or malformed.
 */
export function pngDimensions(bytes: Uint8Array): ImageDimensions | undefined {
  if (bytes.length < PNG_SIGNATURE_BYTES + 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkLength = view.getUint32(PNG_SIGNATURE_BYTES);
  const isIhdr = bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52; // "IHDR"
  if (chunkLength !== 13 || !isIhdr) return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * The size a JPEG's first frame header (SOFn) states, found by walking the marker segments from the start (each
 * segment is skipped by its length, so the walk is linear and reads no entropy-coded data); undefined when no
 * frame header comes before the scan data or the bytes end.
 */
export function jpegDimensions(bytes: Uint8Array): ImageDimensions | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      // Fill byte before a marker.
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      // Markers without a length (TEM, RSTn).
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or scan data before any frame header.
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (at + 9 > bytes.length) return undefined;
      const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
      const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      return { width, height };
    }
    at += 2 + length;
  }
  return undefined;
}

/** SOF0–SOF15, but not DHT (C4), JPG (C8) or DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}
