import { GLYPH_SPACING, GLYPH_WIDTH } from "./bitmap-font";

/** The bitmap font scale for a font size: its 7-pixel capitals come close to the capital height of the SVG text. */
export function fontScale(size: number, pixelRatio = 1): number {
  return Math.max(1, Math.round((size * pixelRatio) / 8));
}

/**
 * Width estimate of text in CSS pixels, the wider of typical proportional text and the bitmap font at the PNG's
 * scale, so that labels fit in both renderings.
 */
export function estimateTextWidth(text: string, size: number): number {
  const perCharacter = Math.max(0.62 * size, (GLYPH_WIDTH + GLYPH_SPACING) * fontScale(size));
  return [...text].length * perCharacter;
}
