import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeAnswer } from "./normalize-answer";
import { RewardsError } from "./rewards-error";

describe("normalizeAnswer", () => {
  describe("\\boxed and \\text", () => {
    it("unwraps a whole-text \\boxed", () => {
      expect(normalizeAnswer("\\boxed{5}")).toBe("5");
    });

    it("matches braces, so a nested group stays whole", () => {
      expect(normalizeAnswer("\\boxed{\\frac{1}{2}}")).toBe("\\frac{1}{2}");
    });

    it("unwraps inside a longer text", () => {
      expect(normalizeAnswer("x = \\boxed{5}")).toBe("x = 5");
      expect(normalizeAnswer("\\boxed{A} and \\boxed{B}")).toBe("a and b");
    });

    it("unwraps nested commands over repeated passes", () => {
      expect(normalizeAnswer("\\boxed{\\text{Paris}}")).toBe("paris");
      expect(normalizeAnswer("\\text{\\boxed{\\boxed{7}}} cm")).toBe("7 cm");
    });

    it("unwraps deeply nested commands in full", () => {
      expect(normalizeAnswer(`${"\\boxed{".repeat(500)}5${"}".repeat(500)}`)).toBe("5");
      expect(normalizeAnswer("\\boxed{a}\\text{b}")).toBe("ab");
    });

    it("treats escaped braces as text, not as group delimiters", () => {
      // `\}` inside does not close the group; the last `}` does.
      expect(normalizeAnswer("\\boxed{\\{1, 2\\}}")).toBe("\\{1, 2\\}");
      expect(normalizeAnswer("\\boxed{a\\}b}")).toBe("a\\}b");
    });

    it("leaves a command without its closing brace as it is (lower-cased)", () => {
      expect(normalizeAnswer("\\boxed{5")).toBe("\\boxed{5");
      expect(normalizeAnswer("\\boxed{\\frac{1}{2}")).toBe("\\boxed{\\frac{1}{2}");
    });

    it("still unwraps a later, closed command after an unclosed one", () => {
      expect(normalizeAnswer("\\boxed{ \\boxed{5}")).toBe("\\boxed{ 5");
    });

    it("does not touch other commands that share a prefix", () => {
      expect(normalizeAnswer("\\textbf{B}")).toBe("\\textbf{b}");
      expect(normalizeAnswer("\\boxed 5")).toBe("\\boxed 5");
    });

    it("unwraps an empty group to nothing", () => {
      expect(normalizeAnswer("\\boxed{}")).toBe("");
    });
  });

  describe("delimiter pairs", () => {
    it.each([
      ["$5$", "5"],
      ["$$5$$", "5"],
      ["\\[5\\]", "5"],
      ["\\(5\\)", "5"],
      ["**B**", "b"],
    ])("unwraps %s", (input, expected) => {
      expect(normalizeAnswer(input)).toBe(expected);
    });

    it("unwraps layers of different delimiters and commands", () => {
      expect(normalizeAnswer("**$\\boxed{\\text{ B }}$**")).toBe("b");
      expect(normalizeAnswer(" $$ \\[ x=2 \\] $$ ")).toBe("x=2");
    });

    it("unwraps every complete pair, also inside a longer text", () => {
      expect(normalizeAnswer("$a$ and $b$")).toBe("a and b");
      expect(normalizeAnswer("**a** or **b**")).toBe("a or b");
      expect(normalizeAnswer("$\\boxed{1,000}$ km")).toBe("1000 km");
      expect(normalizeAnswer("so \\(x^2\\) it is")).toBe("so x^2 it is");
    });

    it("keeps a delimiter that has no partner", () => {
      expect(normalizeAnswer("costs $5")).toBe("costs $5");
      // The first two dollars pair ("5 and "), the third has none.
      expect(normalizeAnswer("$5 and $10 or $")).toBe("5 and 10 or $");
      expect(normalizeAnswer("\\[ x \\[ y")).toBe("\\[ x \\[ y");
    });

    it("stays linear on many unclosed openers", () => {
      const text = "\\[a ".repeat(20_000);
      expect(normalizeAnswer(text)).toBe(text.trim().toLowerCase());
    });

    it("keeps a bare delimiter with nothing inside", () => {
      expect(normalizeAnswer("$$")).toBe("$$");
      expect(normalizeAnswer("****")).toBe("****");
      expect(normalizeAnswer("$")).toBe("$");
    });
  });

  describe("thousands separators", () => {
    it("drops separators between digit groups of three", () => {
      expect(normalizeAnswer("1,234,567")).toBe("1234567");
      expect(normalizeAnswer("12,345.67")).toBe("12345.67");
      expect(normalizeAnswer("$\\boxed{1,000}$")).toBe("1000");
    });

    it("keeps commas of lists and decimals", () => {
      expect(normalizeAnswer("1,2")).toBe("1,2");
      expect(normalizeAnswer("(3,4)")).toBe("(3,4)");
      expect(normalizeAnswer("1, 234")).toBe("1, 234");
      expect(normalizeAnswer("a,123")).toBe("a,123");
    });

    it("keeps a comma followed by four or more digits", () => {
      // Only the second comma is a separator ("567" then end): "1,2345,567" → "1,2345567"; the first comma is
      // then followed by "2345567", still not exactly three digits.
      expect(normalizeAnswer("1,2345")).toBe("1,2345");
      expect(normalizeAnswer("1,2345,567")).toBe("1,2345567");
    });

    it("leaves non-ASCII digits alone", () => {
      expect(normalizeAnswer("١,٢٣٤")).toBe("١,٢٣٤");
    });
  });

  describe("whitespace and case", () => {
    it("strips surrounding whitespace, CRLF included, and lower-cases", () => {
      expect(normalizeAnswer("\r\n  Paris\t\r\n")).toBe("paris");
    });

    it("keeps inner CRLF", () => {
      expect(normalizeAnswer("A\r\nB")).toBe("a\r\nb");
    });

    it("lower-cases beyond ASCII", () => {
      expect(normalizeAnswer("ΣΟΦΙΑ")).toBe("σοφια");
      expect(normalizeAnswer("ÉCOLE")).toBe("école");
    });

    it("keeps characters that have no case", () => {
      expect(normalizeAnswer("  北京 😀 ")).toBe("北京 😀");
    });

    it("strips whitespace revealed by unwrapping", () => {
      expect(normalizeAnswer("$  7  $")).toBe("7");
    });

    it("gives the empty string for empty or blank input", () => {
      expect(normalizeAnswer("")).toBe("");
      expect(normalizeAnswer(" \u3000\n")).toBe("");
    });
  });

  it("throws a RewardsError for a non-string", () => {
    expect(() => normalizeAnswer(5 as unknown as string)).toThrow(RewardsError);
    expect(() => normalizeAnswer(5 as unknown as string)).toThrow(
      "normalizeAnswer: text must be a string (the decoded response text), got 5.",
    );
  });

  describe("properties", () => {
    // Strings built from the pieces the normaliser reacts to, plus arbitrary code points and lone surrogates.
    const pieces = fc.constantFrom(
      "\\boxed{",
      "\\text{",
      "\\textbf{",
      "{",
      "}",
      "\\",
      "\\{",
      "\\}",
      "$",
      "$$",
      "**",
      "*",
      "\\[",
      "\\]",
      "\\(",
      "\\)",
      ",",
      "1",
      "234",
      "5678",
      " ",
      "\t",
      "\r\n",
      "\u0085",
      "\ufeff",
      "\u3000",
      "A",
      "Σ",
      "İ",
      "ß",
    );
    const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
    const adversarial = fc.oneof(
      fc.string({ unit: pieces, maxLength: 40 }),
      fc.string({ unit: fc.oneof(pieces, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })) }),
      fc.string({ unit: anyCodeUnit }),
      fc.string({ unit: "grapheme" }),
    );

    it("is idempotent and never throws on any string", () => {
      fc.assert(
        fc.property(adversarial, (text) => {
          const once = normalizeAnswer(text);
          expect(normalizeAnswer(once)).toBe(once);
        }),
        { numRuns: 2000 },
      );
    });

    it("is deterministic: no state carries over between calls", () => {
      fc.assert(
        fc.property(adversarial, adversarial, (text, other) => {
          const first = normalizeAnswer(text);
          normalizeAnswer(other);
          expect(normalizeAnswer(text)).toBe(first);
        }),
      );
    });

    it("never leaves surrounding whitespace or upper-case letters", () => {
      fc.assert(
        fc.property(adversarial, (text) => {
          const normalized = normalizeAnswer(text);
          expect(normalized).toBe(normalized.toLowerCase());
          expect(normalized).toBe(normalized.replace(/^[ \t\r\n\u3000\u0085]+|[ \t\r\n\u3000\u0085]+$/g, ""));
        }),
      );
    });

    it("maps a number with thousands separators to its plain digits", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
          expect(normalizeAnswer(`\\boxed{${n.toLocaleString("en-US")}}`)).toBe(String(n));
        }),
      );
    });
  });
});
