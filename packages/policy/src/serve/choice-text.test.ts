import { describe, expect, it } from "vitest";
import { choiceText } from "./choice-text";
import { trainTestTokenizer } from "./test-fixtures";

const tokenizer = trainTestTokenizer();
const imEnd = tokenizer.tokenToId("<|im_end|>")!;
const byte = (ch: string) => tokenizer.tokenToId(ch)!;

describe("choiceText", () => {
  it("drops a closing end-of-sequence token from the text but keeps it in the tokens", () => {
    const ids = [...tokenizer.encode("Hello"), imEnd];
    const out = choiceText(
      { tokenIds: ids, logProbs: ids.map(() => -1), finishReason: "stop" },
      tokenizer,
      [],
    );
    expect(out.text).toBe("Hello");
    expect(out.tokenIds).toEqual(ids);
    expect(out.ends.at(-1)).toBe(5);
    expect(out.finishReason).toBe("stop");
  });

  it("cuts before the earliest stop string and keeps nothing after it", () => {
    const ids = tokenizer.encode("The quick brown fox");
    const out = choiceText({ tokenIds: ids, logProbs: ids.map(() => 0), finishReason: "stop" }, tokenizer, [
      "fox",
      "quick",
    ]);
    expect(out.text).toBe("The ");
    expect(out.ends.every((e) => e <= 4)).toBe(true);
  });

  it("skips special tokens in the middle of the text", () => {
    const ids = [...tokenizer.encode("ab"), imEnd, ...tokenizer.encode("cd")];
    const out = choiceText(
      { tokenIds: ids, logProbs: ids.map(() => 0), finishReason: "length" },
      tokenizer,
      [],
    );
    expect(out.text).toBe("abcd");
  });

  it("adds a character split over two tokens only once it is complete", () => {
    // "é" is 0xC3 0xA9, in byte-level characters "Ã" and "©".
    const ids = [byte("a"), byte("Ã"), byte("©"), byte("b")];
    const out = choiceText({ tokenIds: ids, logProbs: [0, 0, 0, 0], finishReason: "length" }, tokenizer, []);
    expect(out.text).toBe("aéb");
    expect(out.ends).toEqual([1, 1, 2, 3]);
  });
});
