import { describe, expect, it } from "vitest";
import {
  FONT_CHARACTERS,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyphPixel,
  glyphRows,
  hasGlyph,
  textSize,
  textWidth,
} from "./bitmap-font";

function picture(character: string): string {
  const rows = glyphRows(character);
  return Array.from({ length: GLYPH_HEIGHT }, (_, row) =>
    Array.from({ length: GLYPH_WIDTH }, (_, column) => (glyphPixel(rows, column, row) ? "#" : ".")).join(""),
  ).join("\n");
}

describe("bitmap font", () => {
  it("has every digit and capital the task suite prints, 7 rows of 5 bits each", () => {
    for (const character of "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
      expect(FONT_CHARACTERS).toContain(character);
      const rows = glyphRows(character);
      expect(rows).toHaveLength(GLYPH_HEIGHT);
      for (const row of rows) expect(row).toBeLessThan(1 << GLYPH_WIDTH);
    }
  });

  it("draws the classic shapes (bit 4 is the leftmost pixel)", () => {
    expect(picture("4")).toBe(["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."].join("\n"));
    expect(picture("Q")).toBe([".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"].join("\n"));
  });

  it("draws lowercase as capitals and unknown characters as ?", () => {
    expect(glyphRows("a")).toBe(glyphRows("A"));
    expect(glyphRows("€")).toBe(glyphRows("?"));
    expect(hasGlyph("a")).toBe(true);
    expect(hasGlyph("%")).toBe(true);
    expect(hasGlyph("€")).toBe(false);
  });

  it("measures text: 6 columns per character less the trailing gap, times the scale", () => {
    expect(textSize("AB", 1)).toEqual({ width: 11, height: 7 });
    expect(textSize("ABC", 3)).toEqual({ width: 51, height: 21 });
    expect(textWidth("", 2)).toBe(0);
  });
});
