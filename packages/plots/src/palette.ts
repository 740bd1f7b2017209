/** An RGB colour, 0-255 per channel. */
export type Rgb = readonly [number, number, number];
/** An RGB colour with alpha, 0-255 per channel (255 = opaque). */
export type Rgba = readonly [number, number, number, number];

/** Series colours, cycled by index, the same in SVG and PNG (the Tableau 10 set: distinct and print-safe). */
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [255, 127, 14],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [23, 190, 207],
  [188, 189, 34],
  [127, 127, 127],
];

/** Chart furniture colours. */
export const INK: Rgb = [51, 51, 51];
export const AXIS_COLOR: Rgb = [68, 68, 68];
export const GRID_COLOR: Rgb = [229, 229, 229];
export const WHITE: Rgb = [255, 255, 255];

/** The palette colour for series or point `index` (wrapping around). */
export function paletteColor(index: number): Rgb {
  const size = PALETTE.length;
  return PALETTE[((Math.trunc(index) % size) + size) % size]!;
}

/** `rgb(r,g,b)` for SVG and CSS. */
export function cssColor(color: Rgb | Rgba): string {
  return color.length === 4
    ? `rgba(${color[0]},${color[1]},${color[2]},${(color[3] / 255).toFixed(3)})`
    : `rgb(${color[0]},${color[1]},${color[2]})`;
}
