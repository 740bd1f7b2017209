import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "../model/prng";
import { sampleToken } from "../model/sampling";
import { trainTestTokenizer } from "./test-fixtures";
import { type ServerTokenizer, samplingLogProbs, tokenText } from "./token-log-probs";

describe("samplingLogProbs", () => {
  // logits ln1, ln2, ln3 → probabilities 1/6, 2/6, 3/6 at temperature 1.
  const logits = [0, Math.log(2), Math.log(3)];

  it("is the softmax without top-p", () => {
    const out = samplingLogProbs(logits, 1, 1);
    expect(out[0]).toBeCloseTo(Math.log(1 / 6), 12);
    expect(out[1]).toBeCloseTo(Math.log(2 / 6), 12);
    expect(out[2]).toBeCloseTo(Math.log(3 / 6), 12);
  });

  it("renormalises over the nucleus", () => {
    // top_p 0.5: 3/6 alone reaches 0.5 → a point mass on token 2.
    expect([...samplingLogProbs(logits, 1, 0.5)]).toEqual([
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      0,
    ]);
    // top_p 0.6: tokens 2 and 1 (mass 5/6) → log(3/5), log(2/5).
    const out = samplingLogProbs(logits, 1, 0.6);
    expect(out[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(out[1]).toBeCloseTo(Math.log(2 / 5), 12);
    expect(out[2]).toBeCloseTo(Math.log(3 / 5), 12);
  });

  it("divides by the temperature", () => {
    // temperature 0.5 squares the weights: 1, 4, 9 → /14.
    const out = samplingLogProbs(logits, 0.5, 1);
    expect(out[0]).toBeCloseTo(Math.log(1 / 14), 12);
    expect(out[2]).toBeCloseTo(Math.log(9 / 14), 12);
  });

  it("is a point mass on the first maximum when greedy", () => {
    expect([...samplingLogProbs([1, 5, 5, 2], 0, 1)]).toEqual([
      Number.NEGATIVE_INFINITY,
      0,
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it("agrees with the log-prob sampleToken reports for the token it draws", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 2, maxLength: 12 }),
        fc.double({ min: 0.05, max: 2, noNaN: true }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer(),
        (row, temperature, topP, seed) => {
          const sampled = sampleToken(row, { temperature, topP }, new Prng(seed));
          const all = samplingLogProbs(row, temperature, topP);
          expect(Math.abs(all[sampled.token]! - sampled.logProb)).toBeLessThan(1e-9);
          const mass = [...all].reduce((s, v) => s + Math.exp(v), 0);
          expect(Math.abs(mass - 1)).toBeLessThan(1e-9);
        },
      ),
    );
  });
});

describe("tokenText", () => {
  const tokenizer = trainTestTokenizer();

  it("gives a split character's raw bytes, not the replacement character's", () => {
    const firstByteOfE = tokenizer.tokenToId("Ã")!; // byte 0xC3 in byte-level characters
    expect(tokenText(tokenizer, firstByteOfE)).toEqual({ token: "\uFFFD", bytes: [0xc3] });
  });

  it("gives the UTF-8 of a special token's text", () => {
    const imEnd = tokenizer.tokenToId("<|im_end|>")!;
    expect(tokenText(tokenizer, imEnd)).toEqual({
      token: "<|im_end|>",
      bytes: [...new TextEncoder().encode("<|im_end|>")],
    });
  });

  it("falls back to UTF-8 of the text without idToToken", () => {
    const codec: ServerTokenizer = {
      encode: (text) => tokenizer.encode(text),
      decode: (ids) => tokenizer.decode(ids),
      vocabSize: tokenizer.vocabSize,
      eosTokenIds: tokenizer.eosTokenIds,
      padTokenId: tokenizer.padTokenId,
    };
    const id = tokenizer.encode("Hello")[0]!;
    const text = tokenizer.decode([id]);
    expect(tokenText(codec, id)).toEqual({ token: text, bytes: [...new TextEncoder().encode(text)] });
  });
});
