import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import {
  compileSplitPattern,
  DIGIT_TRIPLES_SPLIT_PATTERN,
  GPT2_SPLIT_PATTERN,
  QWEN2_SPLIT_PATTERN,
  splitIsolated,
} from "./split-pattern";

const qwen2 = compileSplitPattern(QWEN2_SPLIT_PATTERN);
const gpt2 = compileSplitPattern(GPT2_SPLIT_PATTERN);
const triples = compileSplitPattern(DIGIT_TRIPLES_SPLIT_PATTERN);

describe("Qwen2 split pattern", () => {
  it("splits words, contractions (any case), and digits one at a time", () => {
    expect(splitIsolated("Hello world's 2024 DON'T", qwen2)).toEqual([
      "Hello",
      " world",
      "'s",
      " ", // a lone space before a digit stays alone: `\s+(?!\S)` fails, `\s+` takes it
      "2",
      "0",
      "2",
      "4",
      " DON",
      "'T",
    ]);
  });

  it("keeps newlines with punctuation and groups blank lines", () => {
    expect(splitIsolated("ok!!\n\n  x\n", qwen2)).toEqual(["ok", "!!\n\n", " ", " x", "\n"]);
    expect(splitIsolated("a  \n\nb", qwen2)).toEqual(["a", "  \n\n", "b"]);
  });

  it("attaches one leading non-letter to a letter run (CJK, punctuation)", () => {
    expect(splitIsolated("你好，世界", qwen2)).toEqual(["你好", "，世界"]);
    expect(splitIsolated("(x)", qwen2)).toEqual(["(x", ")"]);
  });

  it("treats whitespace as Oniguruma does (U+0085 is space, U+FEFF is not)", () => {
    expect(splitIsolated("a\u0085\u0085b", qwen2)).toEqual(["a", "\u0085", "\u0085b"]);
    expect(splitIsolated("a\ufeffb", qwen2)).toEqual(["a", "\ufeffb"]);
  });

  it("GPT-2's pattern keeps digit runs together", () => {
    expect(splitIsolated("x 2024", gpt2)).toEqual(["x", " 2024"]);
  });

  it("the digit-triples variant splits digit runs left to right in threes, the same in every context", () => {
    expect(splitIsolated("x 27492305456!", triples)).toEqual(["x", " ", "274", "923", "054", "56", "!"]);
    expect(splitIsolated("print(789283 * 34832)", triples)).toEqual([
      "print",
      "(",
      "789",
      "283",
      " *",
      " ",
      "348",
      "32",
      ")",
    ]);
    // Everything but digits splits as Qwen2 does.
    const text = "Hello world's DON'T ok!!\n\n  x\n 你好，世界";
    expect(splitIsolated(text, triples)).toEqual(splitIsolated(text, qwen2));
  });

  it("always covers the whole text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (text) => {
        expect(splitIsolated(text, qwen2).join("")).toBe(text);
        expect(splitIsolated(text, gpt2).join("")).toBe(text);
        expect(splitIsolated(text, triples).join("")).toBe(text);
      }),
      { numRuns: 50 },
    );
  });

  it("keeps unmatched stretches as pieces", () => {
    expect(splitIsolated("a-b-c", /-/gu)).toEqual(["a", "-", "b", "-", "c"]);
  });

  it("rejects what it cannot translate, naming the pattern", () => {
    expect(() => compileSplitPattern("(?x)a")).toThrow(PolicyError);
    expect(() => compileSplitPattern("(?i:[a-z])")).toThrow(/letter range inside a \(\?i:…\) group/);
    expect(() => compileSplitPattern("a\\")).toThrow(/trailing backslash/);
    expect(() => compileSplitPattern("(")).toThrow(/Split pattern "\("/);
  });
});
