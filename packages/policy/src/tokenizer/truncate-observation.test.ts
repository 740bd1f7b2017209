import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { truncateObservationTokens } from "./truncate-observation";

describe("truncateObservationTokens", () => {
  const suffix = [900, 901];

  it("keeps the last maxTokens ids and appends the suffix", () => {
    expect(truncateObservationTokens([1, 2, 3, 4, 5], 2, suffix)).toEqual([4, 5, 900, 901]);
    expect(truncateObservationTokens([1, 2, 3], 0, suffix)).toEqual([900, 901]);
  });

  it("leaves observations within the limit alone (no suffix)", () => {
    const ids = [1, 2, 3];
    const out = truncateObservationTokens(ids, 3, suffix);
    expect(out).toEqual([1, 2, 3]);
    expect(out).not.toBe(ids);
    expect(truncateObservationTokens([], 0, suffix)).toEqual([]);
  });

  it("rejects a bad limit", () => {
    expect(() => truncateObservationTokens([1], -1, suffix)).toThrow(PolicyError);
    expect(() => truncateObservationTokens([1], 1.5, suffix)).toThrow(/maxTokens/);
    expect(() => truncateObservationTokens([1], Number.NaN, suffix)).toThrow(/maxTokens/);
  });
});
