import type { Message } from "@hdpo/core";
import { ByteLevelBpeTokenizer } from "@hdpo/policy";
import { describe, expect, it } from "vitest";
import { trainChatTokenizer } from "./train-tokenizer";

/** Conversations with many numbers, so that BPE learns every digit pair and triple it sees often. */
function conversations(): Message[][] {
  const out: Message[][] = [];
  for (let i = 0; i < 400; i++) {
    const a = String(100_000 + ((i * 7919) % 900_000));
    const b = String(10_000 + ((i * 104_729) % 90_000));
    out.push([
      { role: "user", content: `What is ${a} × ${b}?` },
      {
        role: "assistant",
        content: `<tool_call>{"name":"python","arguments":{"code":"print(${a} * ${b})"}}</tool_call>`,
      },
    ]);
  }
  return out;
}

function pieces(tokenizer: ByteLevelBpeTokenizer, text: string): string[] {
  return tokenizer.encode(text).map((id) => tokenizer.decode([id]));
}

describe("trainChatTokenizer", () => {
  it("splits digits one at a time by default, and in runs of up to three with digits: triples", () => {
    const single = trainChatTokenizer(conversations(), { vocabSize: 1200 });
    const triples = trainChatTokenizer(conversations(), { vocabSize: 1200, digits: "triples" });
    expect(pieces(single, "x 123456")).toEqual(["x", " ", "1", "2", "3", "4", "5", "6"]);
    const tripled = pieces(triples, "x 1234567");
    // No piece crosses a triple's boundary (BPE may leave a rare triple in smaller pieces).
    expect(tripled.slice(2).join("")).toBe("1234567");
    let offset = 0;
    for (const piece of tripled.slice(2)) {
      expect(Math.floor(offset / 3)).toBe(Math.floor((offset + piece.length - 1) / 3));
      offset += piece.length;
    }
    // BPE learns the corpus's digit pairs and triples: its six-digit numbers take far fewer than six tokens.
    const numbers = conversations().map((c) => /\d{6}/.exec(c[0]!.content as string)![0]);
    const mean = numbers.reduce((sum, n) => sum + triples.encode(n).length, 0) / numbers.length;
    expect(mean).toBeLessThan(4);
  });

  it("keeps the split pattern in tokenizer.json, so a loaded tokenizer encodes the same ids", () => {
    const triples = trainChatTokenizer(conversations(), { vocabSize: 1200, digits: "triples" });
    const loaded = ByteLevelBpeTokenizer.fromTokenizerJson(
      JSON.parse(JSON.stringify(triples.toTokenizerJson())),
    );
    const text = "<|im_start|>user\nWhat is 789283 × 34832?<|im_end|>";
    expect(loaded.encode(text)).toEqual(triples.encode(text));
    expect(loaded.decode(loaded.encode(text))).toBe(text);
  });
});
