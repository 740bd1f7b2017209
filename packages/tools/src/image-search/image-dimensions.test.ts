import { describe, expect, it } from "vitest";
import { decodeGrayscale } from "./decode-grayscale";
import { jpegDimensions, pngDimensions } from "./image-dimensions";
import { encodeJpeg, encodePng, renderScene } from "./test-images.test-support";

describe("image dimensions from the header", () => {
  it("reads a PNG's IHDR and a JPEG's frame header, and nothing from malformed bytes", () => {
    expect(pngDimensions(encodePng(renderScene("checker", 7, 5)))).toEqual({ width: 7, height: 5 });
    expect(jpegDimensions(encodeJpeg(renderScene("checker", 33, 17), 80))).toEqual({ width: 33, height: 17 });
    const png = encodePng(renderScene("checker", 4, 4));
    png.write("IDAT", 12, "latin1"); // the first chunk must be IHDR
    expect(pngDimensions(png)).toBeUndefined();
    expect(pngDimensions(png.subarray(0, 20))).toBeUndefined();
    expect(jpegDimensions(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toBeUndefined();
    expect(jpegDimensions(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff]))).toBeUndefined();
  });

  it("refuses a PNG or JPEG whose header claims 40 MP before decoding, whatever its real data", () => {
    const png = encodePng(renderScene("checker", 4, 4));
    png.writeUInt32BE(8000, 16);
    png.writeUInt32BE(5000, 20);
    expect(() => decodeGrayscale(png)).toThrow(/PNG of 8000x5000 is larger than 12000000 pixels/);
    const jpeg = encodeJpeg(renderScene("checker", 16, 16), 80);
    const sof = jpegFrameHeaderAt(jpeg);
    jpeg.writeUInt16BE(5000, sof + 5);
    jpeg.writeUInt16BE(8000, sof + 7);
    expect(() => decodeGrayscale(jpeg)).toThrow(/JPEG of 8000x5000 is larger than 12000000 pixels/);
    // The cap is a parameter: the same 4x4 picture decodes under a cap of 16 pixels, not under 15.
    const small = encodePng(renderScene("checker", 4, 4));
    expect(decodeGrayscale(small, 16).width).toBe(4);
    expect(() => decodeGrayscale(small, 15)).toThrow(/larger than 15 pixels/);
  });

  it("refuses a header that states no size or no pixels", () => {
    const png = encodePng(renderScene("checker", 4, 4));
    png.writeUInt32BE(0, 16);
    expect(() => decodeGrayscale(png)).toThrow(/no pixels/);
    expect(() => decodeGrayscale(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toThrow(/states no image size/);
  });
});

/** Where the SOF0 marker of a baseline JPEG is (jpeg-js writes one). */
function jpegFrameHeaderAt(bytes: Buffer): number {
  for (let i = 2; i < bytes.length - 1; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) return i;
  throw new Error("no SOF0");
}
