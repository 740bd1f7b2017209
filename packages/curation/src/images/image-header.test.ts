import { describe, expect, it } from "vitest";
import { tinyPng } from "../testing/tiny-png";
import { readImageHeader } from "./image-header";

/** A baseline JPEG's first segments: SOI, an APP0 (JFIF) segment, then SOF0 with the size. */
function jpegHead(width: number, height: number): Buffer {
  const app0 = [
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00,
  ];
  const sof0 = [
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x03,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof0, 0xff, 0xd9]);
}

describe("readImageHeader", () => {
  it("reads type and size of PNG, JPEG, GIF and WebP (VP8X, VP8L, VP8)", () => {
    expect(readImageHeader(tinyPng(40, 24))).toEqual({ mime: "image/png", width: 40, height: 24 });
    expect(readImageHeader(jpegHead(640, 480))).toEqual({ mime: "image/jpeg", width: 640, height: 480 });
    const gif = Buffer.from([...Buffer.from("GIF89a"), 0x20, 0x01, 0x10, 0x00, 0, 0, 0]);
    expect(readImageHeader(gif)).toEqual({ mime: "image/gif", width: 288, height: 16 });
    const vp8x = Buffer.alloc(30);
    vp8x.write("RIFF", 0, "latin1");
    vp8x.write("WEBPVP8X", 8, "latin1");
    vp8x.writeUIntLE(1023, 24, 3);
    vp8x.writeUIntLE(767, 27, 3);
    expect(readImageHeader(vp8x)).toEqual({ mime: "image/webp", width: 1024, height: 768 });
    const vp8l = Buffer.alloc(30);
    vp8l.write("RIFF", 0, "latin1");
    vp8l.write("WEBPVP8L", 8, "latin1");
    vp8l[20] = 0x2f;
    vp8l.writeUInt32LE((99 & 0x3fff) | ((49 & 0x3fff) << 14), 21);
    expect(readImageHeader(vp8l)).toEqual({ mime: "image/webp", width: 100, height: 50 });
    const vp8 = Buffer.alloc(30);
    vp8.write("RIFF", 0, "latin1");
    vp8.write("WEBPVP8 ", 8, "latin1");
    vp8.set([0x9d, 0x01, 0x2a], 23);
    vp8.writeUInt16LE(320, 26);
    vp8.writeUInt16LE(200, 28);
    expect(readImageHeader(vp8)).toEqual({ mime: "image/webp", width: 320, height: 200 });
  });

  it("explains what is wrong with bytes that are not a readable image", () => {
    expect(readImageHeader(Buffer.from("hello world, not an image"))).toEqual({
      error: "unknown image type (not PNG, JPEG, GIF or WebP)",
    });
    expect(readImageHeader(Buffer.alloc(4))).toEqual({ error: "only 4 bytes" });
    const zero = tinyPng(1, 1);
    zero.writeUInt32BE(0, 16);
    expect(readImageHeader(zero)).toEqual({ error: "image/png header gives a 0x1 image" });
    expect(readImageHeader(jpegHead(10, 10).subarray(0, 22))).toMatchObject({
      error: expect.stringMatching(/^JPEG/),
    });
  });
});
