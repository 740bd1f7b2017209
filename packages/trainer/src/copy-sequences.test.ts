import { describe, expect, it } from "vitest";
import { copySequences, copySource, DEFAULT_COPY_SEQUENCE_OPTIONS } from "./copy-sequences";

const sources = [
  Array.from({ length: 120 }, (_, i) => 300 + (i % 37)),
  Array.from({ length: 40 }, (_, i) => 500 + i),
];
const vocabulary = new Set(sources.flat());
const source = copySource(sources);

describe("copySequences", () => {
  it("is a span, a gap, then the span again with the loss on the repeat after its first token", () => {
    const rows = copySequences(source, 64, 7, 3);
    expect(rows).toHaveLength(64);
    const [spanMin, spanMax] = DEFAULT_COPY_SEQUENCE_OPTIONS.spanLength;
    const [gapMin, gapMax] = DEFAULT_COPY_SEQUENCE_OPTIONS.gapLength;
    for (const row of rows) {
      const span = row.ids;
      expect(span.length).toBeGreaterThanOrEqual(Math.min(spanMin, 40));
      expect(span.length).toBeLessThanOrEqual(spanMax);
      expect(row.promptIds.slice(0, span.length)).toEqual(span);
      const gap = row.promptIds.length - span.length;
      expect(gap).toBeGreaterThanOrEqual(gapMin);
      expect(gap).toBeLessThanOrEqual(gapMax);
      expect(row.lossMask).toEqual(span.map((_, i) => (i === 0 ? 0 : 1)));
      for (const id of [...row.promptIds, ...row.ids]) expect(vocabulary.has(id)).toBe(true);
    }
  });

  it("draws about randomShare of the spans at random and takes the rest as windows of a source", () => {
    const rows = copySequences(source, 400, 1, 0);
    const isWindow = (span: number[]) =>
      sources.some((source) => source.some((_, start) => span.every((id, i) => source[start + i] === id)));
    const windows = rows.filter((row) => isWindow(row.ids)).length;
    // A random span of ≥ 6 ids is almost never a window by chance; 400 draws at 0.5: σ = 10.
    expect(Math.abs(windows / rows.length - (1 - DEFAULT_COPY_SEQUENCE_OPTIONS.randomShare))).toBeLessThan(
      0.1,
    );
  });

  it("depends only on (seed, step)", () => {
    expect(copySequences(source, 8, 5, 11)).toEqual(copySequences(source, 8, 5, 11));
    expect(copySequences(source, 8, 5, 11)).not.toEqual(copySequences(source, 8, 5, 12));
    expect(copySequences(source, 8, 5, 11)).not.toEqual(copySequences(source, 8, 6, 11));
  });

  it("refuses empty sources and impossible lengths, saying what to pass", () => {
    expect(() => copySource([[]])).toThrow(/sources hold no tokens/);
    expect(() =>
      copySequences(source, 4, 1, 0, { spanLength: [1, 4], gapLength: [0, 2], randomShare: 0.5 }),
    ).toThrow(/2 ≤ min ≤ max/);
  });
});
