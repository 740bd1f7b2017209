import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  approximateTokenCount,
  observationMessage,
  TRUNCATION_MARKER,
  truncateByCounting,
  truncateObservation,
} from "./observation";
import { TINY_PNG_DATA_URI } from "./test-support/tiny-images";

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
    expect(truncateObservation("abcd", [TINY_PNG_DATA_URI], 4, chars, cut)).toEqual({
      text: "abcd",
      images: [TINY_PNG_DATA_URI],
      truncated: false,
    });
    expect(() => truncateObservation("a", [], 0, chars, cut)).toThrow(/maxObservationTokens/);
  });

  it("drops a tool's images that are not PNG/JPEG data URIs, noting why before the cut", () => {
    const cut = truncateByCounting(chars);
    const note = "\n[Not shown: image 1: it is a URL; an image from a tool is never fetched.]";
    expect(truncateObservation("out", ["http://127.0.0.1:9/x", TINY_PNG_DATA_URI], 1000, chars, cut)).toEqual(
      {
        text: `out${note}`,
        images: [TINY_PNG_DATA_URI],
        truncated: false,
      },
    );
    // The note counts toward the limit; the side kept still follows whether the tool returned images.
    expect(truncateObservation("out", ["http://127.0.0.1:9/x"], 20, chars, cut)).toEqual({
      text: `out${note}`.slice(0, 20) + TRUNCATION_MARKER,
      images: [],
      truncated: true,
    });
  });

  it("builds a user turn, or a tool message for native calls", () => {
    expect(observationMessage("t", [])).toEqual({ role: "user", content: "t" });
    expect(observationMessage("t", [TINY_PNG_DATA_URI], { toolCallId: "c", name: "python" })).toEqual({
      role: "tool",
      toolCallId: "c",
      name: "python",
      content: [
        { type: "text", text: "t" },
        { type: "image", image: TINY_PNG_DATA_URI },
      ],
    });
  });

  it("refuses to build a message around an image that did not pass screening", () => {
    expect(() => observationMessage("t", ["/etc/shadow"])).toThrow(
      "observation image 1 is refused: it is not a data URI (a file path or other text); an image from a tool is never read from disk. Only data:image/png, jpeg, gif or webp base64 URIs of at most 25165824 bytes are sent; screen a tool's images with truncateObservation first.",
    );
    expect(() => observationMessage("t", [TINY_PNG_DATA_URI, "https://x.test/a.png"])).toThrow(
      /observation image 2 is refused: it is a URL/,
    );
  });
});
