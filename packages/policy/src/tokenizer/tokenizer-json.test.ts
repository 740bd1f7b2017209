import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { ByteLevelBpeTokenizer } from "./byte-level-bpe-tokenizer";
import { BYTE_ORDER, BYTE_TO_CHAR } from "./byte-unicode";
import { QWEN2_SPLIT_PATTERN } from "./split-pattern";

/**
 * A tiny Qwen2-shaped tokenizer.json: the 256 byte tokens (ids 0..255 in GPT-2 order), five merges and three
 * added tokens. Merge results get ids 256..260 in rank order.
 */
function handMadeJson(mergeForm: "string" | "array" = "string") {
  const vocab: Record<string, number> = {};
  BYTE_ORDER.forEach((b, id) => {
    vocab[BYTE_TO_CHAR[b]!] = id;
  });
  const merges: [string, string][] = [
    ["h", "e"], // 256 "he"
    ["l", "l"], // 257 "ll"
    ["he", "ll"], // 258 "hell"
    ["hell", "o"], // 259 "hello"
    ["Ġ", "w"], // 260 "Ġw"
  ];
  merges.forEach(([a, b], i) => {
    vocab[a + b] = 256 + i;
  });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 261,
        content: "<|endoftext|>",
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 262,
        content: "<|im_end|>",
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
      {
        id: 263,
        content: "<answer>",
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: false,
      },
    ],
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: QWEN2_SPLIT_PATTERN }, behavior: "Isolated", invert: false },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: mergeForm === "string" ? merges.map(([a, b]) => `${a} ${b}`) : merges,
    },
  };
}

const id = (ch: string) => BYTE_ORDER.indexOf(ch.charCodeAt(0)); // printable ASCII: id = code - 33

describe("tokenizer.json load", () => {
  const tok = ByteLevelBpeTokenizer.fromTokenizerJson(JSON.stringify(handMadeJson()));

  it("applies merges by rank (hand-traced)", () => {
    // "hello": h e l l o → (h,e)#0 → he l l o → (l,l)#1 → he ll o → (he,ll)#2 → hell o → (hell,o)#3 → hello
    expect(tok.encode("hello")).toEqual([259]);
    // "hellohe" is one word: … → hello he  (the second "he" only gets merge #0)
    expect(tok.encode("hellohe")).toEqual([259, 256]);
    // "lll": (l,l) applies left to right, non-overlapping → ll l
    expect(tok.encode("lll")).toEqual([257, id("l")]);
    // " world": Ġ w → Ġw (#4); o r l d have no merges
    expect(tok.encode(" world")).toEqual([260, id("o"), id("r"), id("l"), id("d")]);
    // "hel": no "he l" merge, and "l l" needs two l's → he l
    expect(tok.encode("hel")).toEqual([256, id("l")]);
  });

  it("matches added tokens before splitting and never merges across them", () => {
    // "he" + <|im_end|> + "llo": the token cuts the word, so no hello
    expect(tok.encode("he<|im_end|>llo")).toEqual([256, 262, 257, id("o")]);
    expect(tok.encode("<answer>hello<|endoftext|>")).toEqual([263, 259, 261]);
    expect(tok.eosTokenIds).toEqual([262, 261]); // im_end first, as Qwen2's generation config
    expect(tok.padTokenId).toBe(261);
    expect(tok.vocabSize).toBe(264);
    expect(tok.specialTokens).toEqual(["<|endoftext|>", "<|im_end|>"]);
  });

  it("runs the NFC normalizer", () => {
    // "e" + U+0301 (combining acute) normalizes to U+00E9 = bytes C3 A9
    expect(tok.encode("e\u0301")).toEqual(tok.encode("\u00e9"));
    expect(tok.encode("\u00e9")).toEqual([BYTE_ORDER.indexOf(0xc3), BYTE_ORDER.indexOf(0xa9)]);
  });

  it("reads the [a, b] array form of merges the same as the string form", () => {
    const arrays = ByteLevelBpeTokenizer.fromTokenizerJson(handMadeJson("array"));
    for (const text of ["hello world", "hellohe lll", "he<|im_end|>"])
      expect(arrays.encode(text)).toEqual(tok.encode(text));
  });

  it("save(load(json)) keeps vocab, merges, added tokens and the pipeline", () => {
    const original = handMadeJson();
    const saved = tok.toTokenizerJson();
    expect(saved.model.vocab).toEqual(original.model.vocab);
    expect(saved.model.merges).toEqual(original.model.merges);
    expect(saved.added_tokens).toEqual(original.added_tokens);
    expect(saved.pre_tokenizer).toEqual(original.pre_tokenizer);
    expect(saved.normalizer).toEqual(original.normalizer);
    expect(saved.decoder).toEqual(original.decoder);
    const again = ByteLevelBpeTokenizer.fromTokenizerJson(JSON.stringify(saved));
    expect(again.toTokenizerJson()).toEqual(saved);
  });

  it("reads a plain ByteLevel pre-tokenizer with GPT-2's regex and prefix space", () => {
    const json = handMadeJson();
    const gpt2Style = {
      ...json,
      normalizer: null,
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    };
    const t = ByteLevelBpeTokenizer.fromTokenizerJson(gpt2Style);
    // add_prefix_space: "world" → " world" → Ġw o r l d
    expect(t.encode("world")).toEqual([260, id("o"), id("r"), id("l"), id("d")]);
    // GPT-2 keeps digit runs: " 12" is one word, no merges → Ġ 1 2
    expect(t.encode("x 12")).toEqual([
      BYTE_ORDER.indexOf(0x20),
      id("x"),
      BYTE_ORDER.indexOf(0x20),
      id("1"),
      id("2"),
    ]);
  });

  it("honours ignore_merges", () => {
    const json = handMadeJson();
    json.model.vocab.lo = 264; // a vocabulary word no merge builds
    const t = ByteLevelBpeTokenizer.fromTokenizerJson({
      ...json,
      model: { ...json.model, ignore_merges: true },
    });
    expect(t.encode("lo")).toEqual([264]);
    expect(tok.encode("lo")).toEqual([id("l"), id("o")]);
  });

  it("rejects unsupported parts, naming the field and what is supported", () => {
    const json = handMadeJson();
    const load = (patch: object) => () => ByteLevelBpeTokenizer.fromTokenizerJson({ ...json, ...patch });
    expect(load({ normalizer: { type: "Lowercase" } })).toThrow(
      /normalizer type "Lowercase".*supported: null, NFC/,
    );
    expect(load({ pre_tokenizer: { type: "Whitespace" } })).toThrow(
      /pre_tokenizer type "Whitespace".*supported/,
    );
    expect(load({ pre_tokenizer: null })).toThrow(/pre_tokenizer is missing/);
    expect(
      load({
        pre_tokenizer: {
          type: "Sequence",
          pretokenizers: [
            { type: "Split", pattern: { Regex: "x" }, behavior: "Removed", invert: false },
            { type: "ByteLevel" },
          ],
        },
      }),
    ).toThrow(/pre_tokenizer.pretokenizers\[0\]: Split with behavior "Removed"/);
    expect(load({ decoder: { type: "WordPiece" } })).toThrow(
      /decoder type "WordPiece".*supported: ByteLevel/,
    );
    expect(load({ post_processor: { type: "TemplateProcessing" } })).toThrow(
      /post_processor.*TemplateProcessing/,
    );
    expect(load({ model: { ...json.model, type: "WordPiece" } })).toThrow(
      /model.type "WordPiece".*supported: BPE/,
    );
    expect(load({ model: { ...json.model, byte_fallback: true } })).toThrow(/byte_fallback/);
    expect(load({ model: { ...json.model, merges: ["h e x"] } })).toThrow(/merges\[0\]/);
    expect(load({ model: { ...json.model, merges: ["h q"] } })).toThrow(/"hq", which is not in model.vocab/);
    expect(load({ added_tokens: [{ id: 261, content: "<x>", lstrip: true, special: true }] })).toThrow(
      /added_tokens\[0\].*lstrip: true/,
    );
    expect(() => ByteLevelBpeTokenizer.fromTokenizerJson("{not json")).toThrow(PolicyError);
    const noBytes = { ...json.model, vocab: { ...json.model.vocab } };
    delete (noBytes.vocab as Record<string, number>).Ġ;
    expect(load({ model: noBytes })).toThrow(/lacks the byte token "Ġ"/);
  });

  it("rejects added tokens that clash and a missing padding token", () => {
    const json = handMadeJson();
    const clash = [...json.added_tokens, { id: 262, content: "<other>", special: true }];
    expect(() => ByteLevelBpeTokenizer.fromTokenizerJson({ ...json, added_tokens: clash })).toThrow(
      /clashes/,
    );
    expect(() => ByteLevelBpeTokenizer.fromTokenizerJson({ ...json, added_tokens: [] })).toThrow(
      /no padding token/,
    );
    const t = ByteLevelBpeTokenizer.fromTokenizerJson(
      { ...json, added_tokens: [] },
      { eosTokens: [], padToken: "!" },
    );
    expect(t.padTokenId).toBe(0);
    expect(() => ByteLevelBpeTokenizer.fromTokenizerJson(json, { padToken: "<nope>" })).toThrow(/padToken/);
  });
});
