import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstTagBlock, indicesOf, lastToolCallBlock } from "./tool-call-blocks";

/** The reference's own pattern, kept here as the oracle: fine on the short texts a property test builds. */
function lastBlockByRegex(text: string): { open: number; content: string } | undefined {
  const last = [...text.matchAll(/<tool_call>(.*?)<\/tool_call>/gs)].at(-1);
  return last === undefined ? undefined : { open: last.index, content: last[1] ?? "" };
}

// Tag fragments and near-misses, so random texts hit nested, unclosed, adjacent and partial tags often.
const piece = fc.constantFrom(
  "<tool_call>",
  "</tool_call>",
  "<tool_call",
  "tool_call>",
  "</tool_call",
  "<",
  "</",
  ">",
  "{",
  "}",
  '"',
  "\\",
  "a",
  "\n",
  " ",
);
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(""));

describe("lastToolCallBlock", () => {
  it("finds the same last block as the reference's regex (property)", () => {
    fc.assert(
      fc.property(text, (t) => {
        const block = lastToolCallBlock(t);
        const expected = lastBlockByRegex(t);
        expect(
          block === undefined
            ? undefined
            : { open: block.open, content: t.slice(block.contentStart, block.contentEnd) },
        ).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("starts a block at the earliest opening tag after the previous one, as the regex does", () => {
    const t = "<tool_call>a<tool_call>b</tool_call>c</tool_call><tool_call>";
    const block = lastToolCallBlock(t);
    expect(block && t.slice(block.contentStart, block.contentEnd)).toBe("a<tool_call>b");
  });

  it("lists overlapping occurrences", () => {
    expect(indicesOf("aaaa", "aa")).toEqual([0, 1, 2]);
    expect(indicesOf("abc", "x")).toEqual([]);
  });
});

describe("firstTagBlock", () => {
  it("agrees with the non-global lazy regex on random tag soup (property)", () => {
    fc.assert(
      fc.property(text, (value) => {
        const match = /<tool_call>(.*?)<\/tool_call>/s.exec(value);
        const block = firstTagBlock(value, "<tool_call>", "</tool_call>");
        expect(block === undefined ? undefined : value.slice(block.contentStart, block.contentEnd)).toBe(
          match === null ? undefined : match[1],
        );
        if (block !== undefined) expect(block.open).toBe(match?.index);
      }),
    );
  });
});
