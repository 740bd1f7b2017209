import { describe, expect, it } from "vitest";
import { splitWireData } from "./request-split";
import { toWireData } from "./wire-datum";

const datum = (length: number, first: number) => ({
  modelInput: [
    { type: "encoded_text" as const, tokens: [first, ...Array.from({ length: length - 1 }, () => 5)] },
  ],
  targetTokens: Array.from({ length }, () => 5),
});

describe("splitWireData", () => {
  it("keeps the order and cuts at the data limit and at the number limit", () => {
    const wire = toWireData([datum(2, 1), datum(2, 2), datum(2, 3), datum(10, 4), datum(2, 5)], "test");
    const firsts = (parts: ReturnType<typeof splitWireData>) =>
      parts.map((part) => part.data.map((d) => d.model_input.chunks[0]!.tokens[0]));
    expect(firsts(splitWireData(wire, 2, 1_000))).toEqual([[1, 2], [3, 4], [5]]);
    // 3 numbers per position: the 10-token datum (30) does not fit after three 2-token ones (18); the last does (36).
    expect(firsts(splitWireData(wire, 100, 36))).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    // A datum larger than the limit goes alone rather than nowhere.
    expect(firsts(splitWireData(wire, 100, 10))).toEqual([[1], [2], [3], [4], [5]]);
    expect(splitWireData(wire, 100, 10).map((part) => part.weights.length)).toEqual([1, 1, 1, 1, 1]);
  });
});
