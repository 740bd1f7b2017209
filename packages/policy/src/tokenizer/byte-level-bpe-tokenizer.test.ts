import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { ByteLevelBpeTokenizer } from "./byte-level-bpe-tokenizer";
import { AGENT_TAG_TOKENS, DEFAULT_SPECIAL_TOKENS } from "./special-tokens";

const corpus = [
  "<reason>The tool is not needed here.</reason><answer>42</answer>",
  "The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。 😀🎉",
  '<reason>Compute it.</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}</tool_call>',
  "Code execution result:\nstdout:\n```\n42\n```\n",
];
const trainingText = Array.from({ length: 30 }, (_, i) => corpus[i % corpus.length]!);
const tok = ByteLevelBpeTokenizer.train(trainingText, { vocabSize: 600 });

/** What TextEncoder does to lone surrogates: each becomes U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

describe("ByteLevelBpeTokenizer (trained)", () => {
  it("lays out ids as bytes, merges, special tokens, then tags", () => {
    const merges = tok.model.merges.length;
    expect(tok.model.vocab.size).toBe(256 + merges);
    const firstSpecial = 256 + merges;
    expect(tok.tokenToId("<|endoftext|>")).toBe(firstSpecial);
    expect(tok.tokenToId("<|im_end|>")).toBe(firstSpecial + 2);
    expect(tok.tokenToId("<reason>")).toBe(firstSpecial + DEFAULT_SPECIAL_TOKENS.length);
    expect(tok.vocabSize).toBe(firstSpecial + DEFAULT_SPECIAL_TOKENS.length + AGENT_TAG_TOKENS.length);
    expect(tok.vocabSize).toBeLessThanOrEqual(600);
    expect(tok.eosTokenIds).toEqual([firstSpecial + 2, firstSpecial]);
    expect(tok.padTokenId).toBe(firstSpecial);
    expect(tok.specialTokens).toEqual(DEFAULT_SPECIAL_TOKENS);
    expect(tok.idToToken(0)).toBe("!");
    expect(tok.idToToken(-1)).toBeUndefined();
    expect(tok.idToToken(10 ** 6)).toBeUndefined();
  });

  it("is deterministic", () => {
    const again = ByteLevelBpeTokenizer.train(trainingText, { vocabSize: 600 });
    expect(again.toTokenizerJson()).toEqual(tok.toTokenizerJson());
  });

  it("learned frequent words as single tokens", () => {
    // " quick" occurs 8 times as one pre-token; its 6 bytes merge into one token well within 600 - 268 merges
    expect(tok.encode(" quick")).toHaveLength(1);
    expect(tok.encode(" quick").map((i) => tok.idToToken(i))).toEqual(["Ġquick"]);
  });

  it("round-trips arbitrary unicode, emoji and CJK", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s);
      }),
    );
    for (const s of ["😀🎉👩‍👩‍👧", "敏捷的棕色狐狸", "e\u0301", "\r\n\t \u0085", ""])
      expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it("turns lone surrogates into U+FFFD deterministically", () => {
    expect(tok.decode(tok.encode("a\uD800b"))).toBe("a\uFFFDb");
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(wellFormed(s));
      }),
      { numRuns: 50 },
    );
  });

  it("never produces ids outside the vocabulary", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        for (const id of tok.encode(s)) {
          expect(Number.isInteger(id) && id >= 0 && id < tok.vocabSize).toBe(true);
        }
      }),
    );
  });

  it("keeps every added token a single id wherever it appears", () => {
    const added = [...DEFAULT_SPECIAL_TOKENS, ...AGENT_TAG_TOKENS];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...added), fc.string({ unit: "grapheme", maxLength: 6 })), {
          maxLength: 8,
        }),
        (parts) => {
          const text = parts.join("");
          const ids = tok.encode(text);
          expect(tok.decode(ids)).toBe(text);
          for (const part of parts.filter((p) => added.includes(p)))
            expect(ids).toContain(tok.tokenToId(part));
        },
      ),
    );
    expect(tok.encode("x<|im_end|>y")).toEqual([
      ...tok.encode("x"),
      tok.tokenToId("<|im_end|>"),
      ...tok.encode("y"),
    ]);
  });

  it("matches the longest added token first", () => {
    const t = ByteLevelBpeTokenizer.train(["ab"], {
      vocabSize: 300,
      specialTokens: ["<|a|>"],
      tagTokens: ["<|a|>b"],
      padToken: "<|a|>",
    });
    expect(t.eosTokenIds).toEqual([]);
    expect(t.encode("<|a|>b<|a|>")).toEqual([t.tokenToId("<|a|>b"), t.tokenToId("<|a|>")]);
  });

  it("with allowSpecial false encodes special tokens as text but keeps the tags", () => {
    const imEnd = tok.tokenToId("<|im_end|>")!;
    const ids = tok.encode("<|im_end|><answer>", { allowSpecial: false });
    expect(ids).not.toContain(imEnd);
    expect(ids.at(-1)).toBe(tok.tokenToId("<answer>"));
    expect(tok.decode(ids)).toBe("<|im_end|><answer>");
  });

  it("skips special tokens but not the tags when asked", () => {
    const ids = tok.encode("<|im_start|>assistant\n<answer>7</answer><|im_end|>");
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("assistant\n<answer>7</answer>");
    expect(tok.decode(ids)).toBe("<|im_start|>assistant\n<answer>7</answer><|im_end|>");
  });

  it("decodes broken UTF-8 with U+FFFD and never throws on it", () => {
    // "😀" is F0 9F 98 80; the byte tokens alone, cut after 2 bytes, are an incomplete sequence → one U+FFFD
    const byteId = (b: number) => tok.model.byteId(b);
    expect(tok.decode([byteId(0xf0), byteId(0x9f)])).toBe("\uFFFD");
    expect(tok.decode([byteId(0xf0), byteId(0x9f), byteId(0x98), byteId(0x80)])).toBe("😀");
    // a lone continuation byte, then an added token in the middle of a sequence
    expect(tok.decode([byteId(0x80), byteId(0x41)])).toBe("\uFFFDA");
    expect(tok.decode([byteId(0xf0), tok.tokenToId("<answer>")!, byteId(0x41)])).toBe("\uFFFD<answer>A");
  });

  it("decodes ids without a token to nothing and rejects non-ids", () => {
    expect(tok.decode([tok.vocabSize + 5, tok.encode("a")[0]!])).toBe("a");
    expect(() => tok.decode([-1])).toThrow(PolicyError);
    expect(() => tok.decode([1.5])).toThrow(/ids\[0\] = 1.5/);
    expect(() => tok.encode(3 as unknown as string)).toThrow(/expected a string/);
  });

  it("round-trips through tokenizer.json with identical encodings", () => {
    const loaded = ByteLevelBpeTokenizer.fromTokenizerJson(JSON.stringify(tok.toTokenizerJson()));
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        expect(loaded.encode(s)).toEqual(tok.encode(s));
      }),
    );
    expect(loaded.encode(trainingText[2]!)).toEqual(tok.encode(trainingText[2]!));
    expect(loaded.vocabSize).toBe(tok.vocabSize);
    expect(loaded.eosTokenIds).toEqual(tok.eosTokenIds);
    expect(loaded.addedTokens).toEqual(tok.addedTokens);
  });

  it("can leave the tags out and validates its options", () => {
    const t = ByteLevelBpeTokenizer.train(["<answer>1</answer>"], { vocabSize: 300, tagTokens: [] });
    expect(t.tokenToId("<answer>")).toBeUndefined();
    expect(t.encode("<answer>").length).toBeGreaterThan(1);
    expect(() => ByteLevelBpeTokenizer.train([], { vocabSize: 200 })).toThrow(
      /vocabSize 200 must be an integer ≥ 268/,
    );
    expect(() => ByteLevelBpeTokenizer.train([], { vocabSize: 300, tagTokens: ["<|im_end|>"] })).toThrow(
      /each given once/,
    );
    expect(() => ByteLevelBpeTokenizer.train([1 as unknown as string], { vocabSize: 300 })).toThrow(
      /yield strings/,
    );
  });

  it("does not learn merges across added tokens in the corpus", () => {
    // "x<|im_end|>y" repeated: without cutting out the token, 'x<' and '>y' would be frequent pairs
    const t = ByteLevelBpeTokenizer.train(Array(10).fill("x<|im_end|>y"), { vocabSize: 400 });
    expect(t.model.merges).toEqual([]);
  });
});
