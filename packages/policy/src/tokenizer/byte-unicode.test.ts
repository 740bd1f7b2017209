import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BYTE_ORDER, BYTE_TO_CHAR, byteLevelToBytes, bytesToByteLevel, CHAR_TO_BYTE } from "./byte-unicode";

describe("GPT-2 byte table", () => {
  it("maps bytes to the characters GPT-2 and Qwen2 vocabularies use", () => {
    expect(BYTE_TO_CHAR[0x20]).toBe("Ġ"); // U+0120 = 256 + 32: space is the 33rd non-printable byte (0..32)
    expect(BYTE_TO_CHAR[0x0a]).toBe("Ċ"); // U+010A = 256 + 10
    expect(BYTE_TO_CHAR[0x00]).toBe("Ā"); // U+0100
    expect(BYTE_TO_CHAR[0x21]).toBe("!");
    expect(BYTE_TO_CHAR[0xad]).toBe("Ń"); // soft hyphen is not kept: U+0143 = 256 + 67 (0..32, 127..160 come first)
    expect(BYTE_TO_CHAR[0xff]).toBe("ÿ");
  });

  it("is a bijection and orders printable bytes first, as GPT-2's vocabulary ids do", () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(new Set(BYTE_ORDER).size).toBe(256);
    expect(BYTE_ORDER.slice(0, 3)).toEqual([0x21, 0x22, 0x23]);
    expect(BYTE_ORDER[188]).toBe(0x00);
    for (let b = 0; b < 256; b++) expect(CHAR_TO_BYTE.get(BYTE_TO_CHAR[b]!)).toBe(b);
  });

  it("round-trips any bytes and rejects characters outside the table", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(byteLevelToBytes(bytesToByteLevel(bytes))).toEqual(bytes);
      }),
    );
    expect(byteLevelToBytes("a b")).toBeUndefined();
    expect(byteLevelToBytes("你")).toBeUndefined();
  });
});
