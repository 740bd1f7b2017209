import { jsonTextNestsDeeper } from "@hdpo/http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { valueNestsDeeper } from "./json-depth";

/** Depth of a parsed JSON value, recursively: the oracle for small values. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

// The text scan (`jsonTextNestsDeeper`) lives in @hdpo/http and is tested there; the action parser runs both, so
// they must agree.
describe("JSON value nesting depth", () => {
  it("agrees with the parsed value's depth and with the text scan (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => {
        const deeper = depthOf(value) > max;
        expect(valueNestsDeeper(value, max)).toBe(deeper);
        expect(jsonTextNestsDeeper(JSON.stringify(value), max)).toBe(deeper);
      }),
      { numRuns: 1000 },
    );
  });

  it("handles depths far past the stack without recursion, and cyclic values", () => {
    let value: unknown[] = [];
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(valueNestsDeeper(value, 512)).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(valueNestsDeeper(cyclic, 512)).toBe(true);
  });
});
