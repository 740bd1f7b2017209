import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { niceStep, niceTicks, stepDecimals } from "./nice-ticks";
import { PlotsError } from "./plots-error";

describe("niceTicks", () => {
  it("picks round steps and covers the range with ticks at its multiples", () => {
    expect(niceTicks(0, 1)).toEqual({ min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(3, 97)).toEqual({ min: 0, max: 100, step: 20, ticks: [0, 20, 40, 60, 80, 100] });
    expect(niceTicks(0, 1000, 4).ticks).toEqual([0, 250, 500, 750, 1000]);
    expect(niceTicks(-0.3, 0.3, 6).ticks).toEqual([-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0.1, 0.7, 6).ticks).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });

  it("widens a zero-width range and swaps reversed bounds", () => {
    expect(niceTicks(5, 5).ticks).toContain(5);
    expect(niceTicks(5, 5).min).toBeLessThan(5);
    expect(niceTicks(5, 5).max).toBeGreaterThan(5);
    expect(niceTicks(0, 0)).toEqual({ min: -1, max: 1, step: 0.5, ticks: [-1, -0.5, 0, 0.5, 1] });
    expect(niceTicks(10, 0)).toEqual(niceTicks(0, 10));
  });

  it("refuses non-finite bounds with a PlotsError", () => {
    expect(() => niceTicks(0, Number.NaN)).toThrow(PlotsError);
    expect(() => niceTicks(Number.NEGATIVE_INFINITY, 1)).toThrow(/finite/);
    expect(() => niceStep(0)).toThrow(/positive/);
  });

  it("always covers the range with 1-2-2.5-5 steps and a sane tick count (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        fc.integer({ min: 2, max: 10 }),
        (lo, width, target) => {
          const hi = lo + width;
          const ticks = niceTicks(lo, hi, target);
          // Within a hundred-millionth of a step counts as on the tick, and within float resolution at the bounds'
          // magnitude: a width of 1e-3 at 1e6 is a billion steps from zero, past what a double resolves exactly.
          const slack = 1e-8 * ticks.step + 8 * Number.EPSILON * Math.max(Math.abs(lo), Math.abs(hi));
          expect(ticks.min).toBeLessThanOrEqual(lo + slack);
          expect(ticks.max).toBeGreaterThanOrEqual(hi - slack);
          const mantissa = ticks.step / 10 ** Math.floor(Math.log10(ticks.step));
          expect([1, 2, 2.5, 5].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
          expect(ticks.ticks.length).toBeGreaterThanOrEqual(2);
          expect(ticks.ticks.length).toBeLessThanOrEqual(2 * target + 3);
        },
      ),
    );
  });
});

describe("niceTicks at the edge of float resolution", () => {
  it("covers a width of 1e-3 at -1e6 up to the double's resolution (a shrunk property counterexample)", () => {
    const [lo, hi] = [-999999.9999999999, -999999.9999999999 + 0.001];
    const ticks = niceTicks(lo, hi, 6);
    expect(ticks.max).toBeGreaterThanOrEqual(hi - 8 * Number.EPSILON * 1e6);
    expect(ticks.min).toBeLessThanOrEqual(lo);
  });
});

describe("stepDecimals", () => {
  it("counts the decimals a step needs", () => {
    expect(stepDecimals(5)).toBe(0);
    expect(stepDecimals(0.25)).toBe(2);
    expect(stepDecimals(0.1)).toBe(1);
    expect(stepDecimals(2.5e-3)).toBe(4);
  });
});
