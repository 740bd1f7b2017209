import type { GrayImage } from "./decode-grayscale";

const SAMPLE = 32;
const KEEP = 8;

/**
 * The 64-bit DCT perceptual hash (pHash, as Python's `imagehash.phash`): luma resized to 32x32 by area
 * averaging, a 2-D DCT-II, the 8x8 lowest frequencies compared with their median, one bit each (row-major,
 * first coefficient in the highest bit). Resizing, recompression and small colour changes flip few bits.
 */
export function perceptualHash(image: GrayImage): bigint {
  const small = resizeAreaAverage(image, SAMPLE, SAMPLE);
  const low = lowFrequencyDct(small);
  const median = medianOf(low);
  let hash = 0n;
  for (const coefficient of low) hash = (hash << 1n) | (coefficient > median ? 1n : 0n);
  return hash;
}

/** Bits that differ between two hashes (0..64). */
export function hammingDistance(a: bigint, b: bigint): number {
  let x = a ^ b;
  let count = 0;
  while (x !== 0n) {
    x &= x - 1n;
    count++;
  }
  return count;
}

/** 16 hex digits. */
export function hashToHex(hash: bigint): string {
  return hash.toString(16).padStart(16, "0");
}

/** Area-weighted resampling (each target pixel averages the source area it covers, fractions included). */
export function resizeAreaAverage(image: GrayImage, width: number, height: number): Float32Array {
  const rows = resample(image.pixels, image.width, image.height, width, true);
  return resample(rows, width, image.height, height, false);
}

/** Resamples along x (`horizontal`) or y, from `sourceLength` to `targetLength` cells. */
function resample(
  pixels: Float32Array,
  width: number,
  height: number,
  targetLength: number,
  horizontal: boolean,
): Float32Array {
  const sourceLength = horizontal ? width : height;
  const outWidth = horizontal ? targetLength : width;
  const outHeight = horizontal ? height : targetLength;
  const out = new Float32Array(outWidth * outHeight);
  const scale = sourceLength / targetLength;
  for (let t = 0; t < targetLength; t++) {
    const start = t * scale;
    const end = start + scale;
    const weights: [number, number][] = [];
    for (let s = Math.floor(start); s < Math.min(Math.ceil(end), sourceLength); s++) {
      const overlap = Math.min(end, s + 1) - Math.max(start, s);
      if (overlap > 0) weights.push([s, overlap / scale]);
    }
    const lines = horizontal ? height : width;
    for (let line = 0; line < lines; line++) {
      let sum = 0;
      for (const [s, w] of weights) sum += w * pixels[horizontal ? line * width + s : s * width + line]!;
      out[horizontal ? line * outWidth + t : t * outWidth + line] = sum;
    }
  }
  return out;
}

/** The KEEP x KEEP lowest-frequency coefficients of the SAMPLE x SAMPLE DCT-II, row-major. */
function lowFrequencyDct(pixels: Float32Array): Float64Array {
  const cos = new Float64Array(KEEP * SAMPLE);
  for (let k = 0; k < KEEP; k++) {
    for (let n = 0; n < SAMPLE; n++)
      cos[k * SAMPLE + n] = Math.cos((Math.PI * (2 * n + 1) * k) / (2 * SAMPLE));
  }
  // Along rows first (SAMPLE rows -> KEEP coefficients each), then along columns.
  const rowPass = new Float64Array(SAMPLE * KEEP);
  for (let y = 0; y < SAMPLE; y++) {
    for (let k = 0; k < KEEP; k++) {
      let sum = 0;
      for (let x = 0; x < SAMPLE; x++) sum += pixels[y * SAMPLE + x]! * cos[k * SAMPLE + x]!;
      rowPass[y * KEEP + k] = sum;
    }
  }
  const out = new Float64Array(KEEP * KEEP);
  for (let ky = 0; ky < KEEP; ky++) {
    for (let kx = 0; kx < KEEP; kx++) {
      let sum = 0;
      for (let y = 0; y < SAMPLE; y++) sum += rowPass[y * KEEP + kx]! * cos[ky * SAMPLE + y]!;
      out[ky * KEEP + kx] = sum;
    }
  }
  return out;
}

function medianOf(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length / 2;
  return (sorted[middle - 1]! + sorted[middle]!) / 2;
}
