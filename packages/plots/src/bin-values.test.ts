import { describe, expect, it } from "vitest";
import { binValues } from "./bin-values";

describe("binValues", () => {
  it("counts values in equal-width bins, the last bin closed on the right", () => {
    const binned = binValues([0, 0.1, 0.49, 0.5, 0.99, 1], { bins: 2, range: [0, 1] });
    expect(binned.edges).toEqual([0, 0.5, 1]);
    expect(binned.counts).toEqual([3, 3]);
    expect(binned.skipped).toBe(0);
  });

  it("skips missing, NaN, infinite and out-of-range values and counts them", () => {
    const binned = binValues([null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -1, 0.2, 2], {
      bins: 4,
      range: [0, 1],
    });
    expect(binned.counts).toEqual([1, 0, 0, 0]);
    expect(binned.skipped).toBe(6);
  });

  it("bins over the values' extent by default and widens a single value to a unit bin", () => {
    expect(binValues([3, 3, 3]).edges).toEqual([2.5, 3.5]);
    expect(binValues([3, 3, 3]).counts).toEqual([3]);
    const sturges = binValues(Array.from({ length: 100 }, (_, i) => i));
    expect(sturges.counts).toHaveLength(8); // ceil(log2(100) + 1)
    expect(sturges.counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(binValues([null, Number.NaN])).toEqual({ edges: [], counts: [], skipped: 2 });
  });
});
