import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_OBSERVATION_IMAGE_BYTES,
  refusedImagesNote,
  screenObservationImages,
  validateObservationImage,
} from "./observation-image";
import { JPEG_HEAD_DATA_URI, TINY_PNG_DATA_URI } from "./test-support/tiny-images";

const reasonOf = (value: unknown, maxBytes?: number): string => {
  const check = validateObservationImage(value, maxBytes);
  if (check.ok) throw new Error(`expected a refusal for ${String(value).slice(0, 40)}`);
  return check.reason;
};

describe("validateObservationImage", () => {
  it("passes PNG and JPEG base64 data URIs unchanged", () => {
    expect(validateObservationImage(TINY_PNG_DATA_URI)).toEqual({ ok: true, image: TINY_PNG_DATA_URI });
    expect(validateObservationImage(JPEG_HEAD_DATA_URI)).toEqual({ ok: true, image: JPEG_HEAD_DATA_URI });
  });

  it("refuses paths, URLs, other data URIs and non-strings, saying what each is", () => {
    expect(reasonOf("/etc/shadow")).toBe(
      "it is not a data URI (a file path or other text); an image from a tool is never read from disk",
    );
    expect(reasonOf("chart.png")).toMatch(/never read from disk/);
    expect(reasonOf("http://169.254.169.254/latest")).toBe(
      "it is a URL; an image from a tool is never fetched",
    );
    expect(reasonOf("HTTPS://example.test/a.png")).toMatch(/never fetched/);
    expect(reasonOf("data:text/html,<script>alert(1)</script>")).toBe(
      "it is a data URI but not data:image/png, jpeg, gif or webp;base64",
    );
    expect(validateObservationImage("data:image/gif;base64,R0lGODlhAQABAAAAACw=").ok).toBe(true);
    expect(reasonOf("data:image/bmp;base64,Qk06AAAAAAAAADYAAAA=")).toMatch(/not data:image\/png/);
    expect(reasonOf(42)).toBe("it is a number, not a string");
    expect(reasonOf(null)).toBe("it is null, not a string");
    expect(reasonOf({ url: "x" })).toBe("it is an object, not a string");
    expect(reasonOf(["x"])).toBe("it is an array, not a string");
  });

  it("refuses malformed base64, a format mismatch and data over the cap", () => {
    const payload = TINY_PNG_DATA_URI.slice("data:image/png;base64,".length);
    expect(reasonOf(`data:image/png;base64,${payload.slice(0, -1)}`)).toMatch(/not a multiple of 4/);
    expect(reasonOf("data:image/png;base64,")).toMatch(/has 0 characters/);
    expect(reasonOf(`data:image/png;base64,${payload.slice(0, 20)}\n${payload.slice(21)}`)).toMatch(
      /invalid character at offset 20/,
    );
    expect(reasonOf(`data:image/png;base64,${payload.slice(0, 40)}=${payload.slice(41)}`)).toMatch(
      /invalid character at offset 40/,
    );
    expect(reasonOf(`data:image/jpeg;base64,${payload}`)).toBe(
      "its bytes do not start with the JPEG signature",
    );
    expect(reasonOf(`data:image/png;base64,${"A".repeat(400)}`)).toMatch(/PNG signature/);
    expect(reasonOf(TINY_PNG_DATA_URI, 60)).toBe("its PNG data is over the 60-byte limit for one image");
    expect(validateObservationImage(TINY_PNG_DATA_URI, 75).ok).toBe(true); // 100 base64 characters = 75 bytes
  });

  it("passes exactly the canonical base64 of a PNG (property)", () => {
    const png = Buffer.from(TINY_PNG_DATA_URI.slice(22), "base64");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        const bytes = Buffer.concat([png.subarray(0, 8), tail]);
        const uri = `data:image/png;base64,${bytes.toString("base64")}`;
        expect(validateObservationImage(uri)).toEqual({ ok: true, image: uri });
      }),
    );
    // Oracle: padded standard base64 by a regex (fine on these short strings), PNG signature first.
    const padded = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    const chars = fc.constantFrom(..."ABgo09+/=-_ \n%".split(""));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), (tail) => {
        const payload = `iVBORw0KGgo${tail.join("")}`;
        const expected = padded.test(payload) && payload.length >= 12;
        expect(validateObservationImage(`data:image/png;base64,${payload}`).ok).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it("scans a payload at the cap in one pass, and refuses one past it before scanning", () => {
    const filler = "A".repeat(4 * Math.ceil(MAX_OBSERVATION_IMAGE_BYTES / 3) - 12);
    expect(reasonOf(`data:image/png;base64,iVBORw0KGgoA${filler}AAAA`)).toMatch(
      /over the 25165824-byte limit/,
    );
    expect(validateObservationImage(`data:image/png;base64,iVBORw0KGgoA${filler}`).ok).toBe(true);
  });
});

describe("screenObservationImages", () => {
  it("keeps the images that pass, in order, and names the refused ones by position", () => {
    const screened = screenObservationImages(["/etc/shadow", TINY_PNG_DATA_URI, 42, JPEG_HEAD_DATA_URI]);
    expect(screened.images).toEqual([TINY_PNG_DATA_URI, JPEG_HEAD_DATA_URI]);
    expect(screened.refused).toEqual([
      "image 1: it is not a data URI (a file path or other text); an image from a tool is never read from disk",
      "image 3: it is a number, not a string",
    ]);
    expect(screenObservationImages(undefined)).toEqual({ images: [], refused: [] });
    expect(screenObservationImages("/etc/shadow")).toEqual({
      images: [],
      refused: ["the images are a string, not a list"],
    });
  });

  it("notes at most three refusals by name and counts the rest", () => {
    expect(refusedImagesNote([])).toBe("");
    const note = refusedImagesNote(screenObservationImages([1, 2, 3, 4, 5]).refused);
    expect(note).toBe(
      "\n[Not shown: image 1: it is a number, not a string.]" +
        "\n[Not shown: image 2: it is a number, not a string.]" +
        "\n[Not shown: image 3: it is a number, not a string.]" +
        "\n[Not shown: 2 more images that were refused.]",
    );
  });
});
