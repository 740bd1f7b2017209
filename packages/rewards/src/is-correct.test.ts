import { describe, expect, it } from "vitest";
import { isCorrect } from "./is-correct";
import { RewardsError } from "./rewards-error";

describe("isCorrect", () => {
  it("is true exactly when the answer score is above 0", () => {
    expect(isCorrect(1)).toBe(true);
    expect(isCorrect(0.5)).toBe(true);
    expect(isCorrect(Number.MIN_VALUE)).toBe(true);
    expect(isCorrect(0)).toBe(false);
    expect(isCorrect(-0)).toBe(false);
  });

  it.each([
    [Number.NaN, "NaN"],
    [-0.1, "-0.1"],
    [1.5, "1.5"],
    [Number.POSITIVE_INFINITY, "Infinity"],
  ])("rejects %s with a message naming it", (value, shown) => {
    expect(() => isCorrect(value)).toThrow(RewardsError);
    expect(() => isCorrect(value)).toThrow(
      `isCorrect: answerScore must be a finite number in [0, 1], got ${shown}.`,
    );
  });

  it("rejects a numeric string instead of coercing it", () => {
    expect(() => isCorrect("1" as unknown as number)).toThrow('got "1" (a string)');
  });
});
