import { describe, expect, it } from "vitest";
import {
  discouragedCorrectShare,
  efficiencyCorrelation,
  overriddenPairShare,
  pearson,
} from "./coupling-metrics";

describe("demo metrics", () => {
  it("pearson: ±1 on exact lines, NaN without spread", () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = [1, 2, 3, 4], y = [1, 3, 2, 4]: Σdx·dy = 2.25 − 0.25 − 0.25 + 2.25 = 4, Σdx² = Σdy² = 5 → r = 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 1], [1, 2])).toBeNaN();
  });

  it("efficiencyCorrelation uses only correct rollouts and −T", () => {
    // correct rows 0, 2, 3: A = [3, 2, 1], −T = [0, −1, −2] → +1; row 1 would break it if counted
    expect(efficiencyCorrelation([3, 100, 2, 1], [true, false, true, true], [0, 0, 1, 2])).toBeCloseTo(1, 12);
  });

  it("overriddenPairShare counts within-group (correct, incorrect) pairs with A_incorrect ≥ A_correct", () => {
    // group a: correct A = 1, 0; incorrect A = 0.5 → pairs (1, 0.5) ok, (0, 0.5) overridden
    // group b: correct 2, incorrect 2 → tie counts as overridden. 2 of 3 pairs.
    const share = overriddenPairShare(
      [1, 0, 0.5, 2, 2],
      [true, true, false, true, false],
      ["a", "a", "a", "b", "b"],
    );
    expect(share).toBeCloseTo(2 / 3, 12);
    expect(overriddenPairShare([1, 2], [true, true], ["a", "a"])).toBe(0);
  });

  it("discouragedCorrectShare looks at correct rollouts of mixed groups only", () => {
    // group a (mixed): correct A = −0.1, 0.3 → 1 of 2; group b (all correct): ignored
    const share = discouragedCorrectShare(
      [-0.1, 0.3, -1, -5, 5],
      [true, true, false, true, true],
      ["a", "a", "a", "b", "b"],
    );
    expect(share).toBe(0.5);
  });
});
