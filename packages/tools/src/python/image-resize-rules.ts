/** The reference's observation-image rules (Metis `process_image_with_pixel_limit`), for sizes only. */
export const IMAGE_FACTOR = 32;
export const MIN_PIXELS = 4 * 32 * 32;
export const MAX_PIXELS = 5120 * 32 * 32;
export const MAX_RATIO = 200;

/** Python's round(): halves go to the even neighbour (banker's rounding), which the reference inherits. */
export function pythonRound(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Qwen-style smart resize: multiples of 32, 4·32² ≤ pixels ≤ 5120·32². Returns [height, width]. */
export function smartResize(height: number, width: number): [number, number] {
  let h = Math.max(IMAGE_FACTOR, pythonRound(height / IMAGE_FACTOR) * IMAGE_FACTOR);
  let w = Math.max(IMAGE_FACTOR, pythonRound(width / IMAGE_FACTOR) * IMAGE_FACTOR);
  if (h * w > MAX_PIXELS) {
    const beta = Math.sqrt((height * width) / MAX_PIXELS);
    h = Math.max(IMAGE_FACTOR, Math.floor(height / beta / IMAGE_FACTOR) * IMAGE_FACTOR);
    w = Math.max(IMAGE_FACTOR, Math.floor(width / beta / IMAGE_FACTOR) * IMAGE_FACTOR);
  } else if (h * w < MIN_PIXELS) {
    const beta = Math.sqrt(MIN_PIXELS / (height * width));
    h = Math.ceil((height * beta) / IMAGE_FACTOR) * IMAGE_FACTOR;
    w = Math.ceil((width * beta) / IMAGE_FACTOR) * IMAGE_FACTOR;
  }
  return [h, w];
}

/** The size an observation image of `width`×`height` ends up with: aspect clamp to 200, then smart resize. */
export function referenceImageSize(width: number, height: number): { width: number; height: number } {
  let h = height;
  let w = width;
  if (Math.max(h, w) / Math.min(h, w) > MAX_RATIO) {
    if (h > w) h = Math.trunc(w * MAX_RATIO);
    else w = Math.trunc(h * MAX_RATIO);
  }
  const [rh, rw] = smartResize(h, w);
  return { width: rw, height: rh };
}

/**
 * Aspect ratio bound of the rules' outputs: the 200 clamp happens before rounding to multiples of 32, which can
 * stretch it (a 47 px short side rounds down to 32: 9408×32, ratio 294). The test checks this over millions of sizes.
 */
export const MAX_OUTPUT_RATIO = 300;

/**
 * Whether `width`×`height` has every property of a size the rules produce: both sides multiples of 32 (≥ 32),
 * MIN_PIXELS ≤ pixels ≤ MAX_PIXELS, ratio ≤ MAX_OUTPUT_RATIO. The rules are not idempotent on extreme ratios
 * (applying them again to 32×7200 gives 32×6400), so "unchanged by the rules" would reject real driver images.
 */
export function isReferenceOutputSize(width: number, height: number): boolean {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height)) return false;
  if (width < IMAGE_FACTOR || height < IMAGE_FACTOR) return false;
  if (width % IMAGE_FACTOR !== 0 || height % IMAGE_FACTOR !== 0) return false;
  const pixels = width * height;
  if (pixels < MIN_PIXELS || pixels > MAX_PIXELS) return false;
  return Math.max(width, height) <= MAX_OUTPUT_RATIO * Math.min(width, height);
}
