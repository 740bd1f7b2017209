import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  approximateTokenCount,
  observationMessage,
  truncateByCounting,
  truncateObservation,
} from "./observation";

const chars = (t: string): number => t.length;

describe("observation", () => {
  it("approximates tokens as ceil(chars / 4)", () => {
    expect([0, 1, 4, 5, 8].map((n) => approximateTokenCount("x".repeat(n)))).toEqual([0, 1, 1, 2, 2]);
  });

  it("truncateByCounting keeps the longest fitting end (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 30 }), fc.boolean(), (text, max, first) => {
        const cut = truncateByCounting(chars)(text, max, first ? "first" : "last");
        expect(cut).toBe(
          text.length <= max ? text : first ? text.slice(0, max) : text.slice(text.length - max),
        );
      }),
    );
  });

  it("leaves short observations alone and rejects a bad limit", () => {
    const cut = truncateByCounting(chars);
    expect(truncateObservation("abcd", ["i"], 4, chars, cut)).toEqual({
      text: "abcd",
      images: ["i"],
      truncated: false,
    });
    expect(() => truncateObservation("a", [], 0, chars, cut)).toThrow(/maxObservationTokens/);
  });

  it("builds a user turn, or a tool message for native calls", () => {
    expect(observationMessage("t", [])).toEqual({ role: "user", content: "t" });
    expect(observationMessage("t", ["img"], { toolCallId: "c", name: "python" })).toEqual({
      role: "tool",
      toolCallId: "c",
      name: "python",
      content: [
        { type: "text", text: "t" },
        { type: "image", image: "img" },
      ],
    });
  });
});
