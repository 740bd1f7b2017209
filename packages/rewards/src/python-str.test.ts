import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pythonCount, pythonStrip } from "./python-str";

describe("pythonStrip", () => {
  it("strips ASCII whitespace on both sides and keeps inner whitespace", () => {
    expect(pythonStrip(" \t\r\n a b \r\n\t ")).toBe("a b");
  });

  it("strips what Python strips but JavaScript's trim keeps (U+001C–U+001F, U+0085)", () => {
    // Python: "\x1c\x1d\x1e\x1f\x85x\x85".strip() == "x"; JS trim() keeps all five.
    expect(pythonStrip("\x1c\x1d\x1e\x1f\x85x\x85")).toBe("x");
    expect("\x1c\x85x".trim()).toBe("\x1c\x85x");
  });

  it("keeps U+FEFF, which JavaScript's trim strips but Python does not", () => {
    // Python: "\ufeffx\ufeff".strip() == "\ufeffx\ufeff".
    expect(pythonStrip("\ufeffx\ufeff")).toBe("\ufeffx\ufeff");
  });

  it("strips Unicode spaces (NBSP, ideographic space, line separator)", () => {
    expect(pythonStrip("\u00a0\u3000\u2028答案\u2029")).toBe("答案");
  });

  it("gives the empty string for all-whitespace input", () => {
    expect(pythonStrip(" \n\t\u3000")).toBe("");
    expect(pythonStrip("")).toBe("");
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => pythonStrip(pythonStrip(s)) === pythonStrip(s)),
    );
  });
});

describe("pythonCount", () => {
  it("counts non-overlapping occurrences left to right, as str.count", () => {
    // Python: "aaaa".count("aa") == 2 (not 3); "abab".count("ab") == 2.
    expect(pythonCount("aaaa", "aa")).toBe(2);
    expect(pythonCount("aaa", "aa")).toBe(1);
    expect(pythonCount("abab", "ab")).toBe(2);
    expect(pythonCount("", "ab")).toBe(0);
  });

  it("is case-sensitive", () => {
    expect(pythonCount("<Answer><answer>", "<answer>")).toBe(1);
  });
});
