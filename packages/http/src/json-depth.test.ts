import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonTextNestsDeeper } from "./json-depth";

/** Depth of a parsed JSON value, recursively: the oracle for small values. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe("JSON text nesting depth", () => {
  it("agrees with the parsed value's depth, strings with brackets and escapes skipped (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => {
        const text = JSON.stringify(value);
        const deeper = depthOf(value) > max;
        expect(jsonTextNestsDeeper(text, max)).toBe(deeper);
        // The same scan over the UTF-8 bytes (a request body before decoding).
        expect(jsonTextNestsDeeper(Buffer.from(text), max)).toBe(deeper);
      }),
      { numRuns: 1000 },
    );
  });

  it("skips brackets inside strings, escaped quotes included", () => {
    expect(jsonTextNestsDeeper('{"a": "[[[[\\"[[[["}', 1)).toBe(false);
    expect(jsonTextNestsDeeper('{"a": [[1]]}', 2)).toBe(true);
    expect(jsonTextNestsDeeper(Buffer.from('["\\"[[[[", "\\\\", [["é"]]]'), 2)).toBe(true);
    expect(jsonTextNestsDeeper(Buffer.from('["\\"[[[[", "\\\\", [["é"]]]'), 3)).toBe(false);
  });

  it("handles depths far past the stack without recursion", () => {
    const deep = "[".repeat(1_000_000);
    expect(jsonTextNestsDeeper(deep, 512)).toBe(true);
  });
});
