import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { trainBpe } from "./bpe-trainer";
import { BYTE_ORDER, BYTE_TO_CHAR } from "./byte-unicode";

/** The obvious trainer: recount every pair before every merge. The incremental one must agree with it. */
function naiveTrain(words: Map<string, number>, maxTokens: number, minFrequency: number) {
  const tokens = BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]!);
  const vocab = new Map(tokens.map((t, i) => [t, i]));
  const enc = new TextEncoder();
  const ws = [...words].map(([w, f]) => ({ s: Array.from(enc.encode(w), (b) => BYTE_ORDER.indexOf(b)), f }));
  const merges: [string, string][] = [];
  while (vocab.size < maxTokens) {
    const counts = new Map<string, number>();
    for (const { s, f } of ws) {
      for (let i = 0; i + 1 < s.length; i++) {
        const k = `${s[i]},${s[i + 1]}`;
        counts.set(k, (counts.get(k) ?? 0) + f);
      }
    }
    let best: [number, number, number] | undefined;
    for (const [k, c] of counts) {
      const [a, b] = k.split(",").map(Number) as [number, number];
      if (!best || c > best[0] || (c === best[0] && (a < best[1] || (a === best[1] && b < best[2]))))
        best = [c, a, b];
    }
    if (!best || best[0] < minFrequency) break;
    const [, a, b] = best;
    const merged = tokens[a]! + tokens[b]!;
    let c = vocab.get(merged);
    if (c === undefined) {
      c = tokens.length;
      tokens.push(merged);
      vocab.set(merged, c);
    }
    merges.push([tokens[a]!, tokens[b]!]);
    for (const w of ws) {
      const next: number[] = [];
      for (let i = 0; i < w.s.length; i++) {
        if (i + 1 < w.s.length && w.s[i] === a && w.s[i + 1] === b) {
          next.push(c);
          i++;
        } else next.push(w.s[i]!);
      }
      w.s = next;
    }
  }
  return { vocab, merges };
}

describe("trainBpe", () => {
  it("learns the hand-computed merges", () => {
    // pairs: (a,b) = 3 + 2 = 5, (b,c) = 2 + 1 = 3 → merge "ab"
    // then (ab,c) = 2, (b,c) = 1 → merge "abc"; (b,c) = 1 < minFrequency 2 → stop
    const words = new Map([
      ["ab", 3],
      ["abc", 2],
      ["bc", 1],
    ]);
    const trained = trainBpe(words, { maxTokens: 1000 });
    expect(trained.merges).toEqual([
      ["a", "b"],
      ["ab", "c"],
    ]);
    expect(trained.vocab.get("ab")).toBe(256);
    expect(trained.vocab.get("abc")).toBe(257);
    expect(trained.vocab.size).toBe(258);
    // minFrequency 1 also takes (b,c) = 1
    expect(trainBpe(words, { maxTokens: 1000, minFrequency: 1 }).merges.at(-1)).toEqual(["b", "c"]);
    // maxTokens 257 stops after one merge
    expect(trainBpe(words, { maxTokens: 257 }).merges).toEqual([["a", "b"]]);
  });

  it("breaks ties by the smaller (left id, right id)", () => {
    // (c,d) and (a,b) both have count 4; a (id 64) < c (id 66) → "ab" first. (b,a) = 4 too but 65 > 64.
    const words = new Map([
      ["cd", 4],
      ["ba", 4],
      ["ab", 4],
    ]);
    expect(trainBpe(words, { maxTokens: 259 }).merges).toEqual([
      ["a", "b"],
      ["b", "a"],
      ["c", "d"],
    ]);
  });

  it("merges a repeated symbol left to right ('aaaa' → aa aa → aaaa)", () => {
    // (a,a) occurs 3 times in one word of count 2 → 6; after the merge the word is [aa, aa]: (aa,aa) = 2
    const trained = trainBpe(new Map([["aaaa", 2]]), { maxTokens: 1000 });
    expect(trained.merges).toEqual([
      ["a", "a"],
      ["aa", "aa"],
    ]);
  });

  it("gives the same merges as recounting from scratch", () => {
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c", "é", " "), minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(word, fc.integer({ min: 1, max: 5 })), { maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        (entries, minFrequency) => {
          const words = new Map(entries);
          const fast = trainBpe(words, { maxTokens: 256 + 30, minFrequency });
          const slow = naiveTrain(words, 256 + 30, minFrequency);
          expect(fast.merges).toEqual(slow.merges);
          expect([...fast.vocab]).toEqual([...slow.vocab]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("validates its input", () => {
    expect(() => trainBpe(new Map(), { maxTokens: 255 })).toThrow(PolicyError);
    expect(() => trainBpe(new Map(), { maxTokens: 300, minFrequency: 0 })).toThrow(/minFrequency/);
    expect(() => trainBpe(new Map([["a", 1.5]]), { maxTokens: 300 })).toThrow(
      /counts must be non-negative integers/,
    );
    expect(trainBpe(new Map(), { maxTokens: 300 }).vocab.size).toBe(256);
  });
});
