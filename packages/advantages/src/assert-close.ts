import { expect } from "vitest";

/** Test helper (not exported by the package): every entry within `tolerance` of the expected value. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance = 1e-9,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const difference = Math.abs(actual[i] - expected[i]);
    if (!(difference <= tolerance)) {
      expect.fail(
        `entry ${i}: got ${actual[i]}, expected ${expected[i]} (difference ${difference} > ${tolerance})`,
      );
    }
  }
}
