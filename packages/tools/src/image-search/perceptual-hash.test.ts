import { describe, expect, it } from "vitest";
import { decodeGrayscale } from "./decode-grayscale";
import { hammingDistance, hashToHex, perceptualHash, resizeAreaAverage } from "./perceptual-hash";
import { encodeJpeg, encodePng, renderScene, resizeBilinear, type Scene } from "./test-images.test-support";

const hashOf = (bytes: Buffer) => perceptualHash(decodeGrayscale(bytes));

describe("perceptualHash", () => {
  it("barely changes for a resized, JPEG-recompressed copy and differs a lot between different pictures", () => {
    const scenes: Scene[] = ["disk-left", "stripes", "diagonal", "ring-right", "checker"];
    const originals = scenes.map((scene) => hashOf(encodePng(renderScene(scene, 240, 180))));
    const copies = scenes.map((scene) =>
      hashOf(encodeJpeg(resizeBilinear(renderScene(scene, 240, 180), 173, 131), 60)),
    );
    scenes.forEach((scene, i) => {
      const own = hammingDistance(originals[i]!, copies[i]!);
      expect(own, `${scene}: copy vs original`).toBeLessThanOrEqual(6);
      scenes.forEach((other, j) => {
        if (j !== i)
          expect(hammingDistance(originals[i]!, copies[j]!), `${scene} vs ${other}`).toBeGreaterThan(16);
      });
    });
  });

  it("has 64 bits about half set for a structured picture", () => {
    const hash = perceptualHash(decodeGrayscale(encodePng(renderScene("ring-right", 64, 64))));
    expect(hashToHex(hash)).toMatch(/^[0-9a-f]{16}$/);
    const ones = hammingDistance(hash, 0n);
    expect(ones).toBeGreaterThanOrEqual(24);
    expect(ones).toBeLessThanOrEqual(40);
  });
});

describe("hammingDistance", () => {
  it("counts differing bits", () => {
    expect(hammingDistance(0n, 0n)).toBe(0);
    expect(hammingDistance(0b1011n, 0b0001n)).toBe(2);
    expect(hammingDistance(0xffff_ffff_ffff_ffffn, 0n)).toBe(64);
  });
});

describe("resizeAreaAverage", () => {
  it("averages the covered area, fractions included", () => {
    const pixels = Float32Array.from([0, 30, 60, 90, 120, 150]); // 3x2
    const out = resizeAreaAverage({ width: 3, height: 2, pixels }, 2, 1);
    // left cell: columns 0 and half of 1 of both rows; right: half of 1 and 2.
    expect(out[0]).toBeCloseTo((0 + 90 + (30 + 120) / 2) / 3, 4);
    expect(out[1]).toBeCloseTo(((30 + 120) / 2 + 60 + 150) / 3, 4);
  });
});

describe("decodeGrayscale", () => {
  it("decodes PNG and JPEG to luma, composites transparency over white and refuses other data", () => {
    const image = renderScene("diagonal", 8, 8);
    image.data[3] = 0; // top-left pixel fully transparent
    const gray = decodeGrayscale(encodePng(image));
    expect(gray.width).toBe(8);
    expect(gray.pixels[0]).toBeCloseTo(255, 3);
    const last = 63 * 4;
    const luma = 0.299 * image.data[last]! + 0.587 * image.data[last + 1]! + 0.114 * image.data[last + 2]!;
    expect(gray.pixels[63]).toBeCloseTo(luma, 3);
    expect(luma).toBeLessThan(60);
    const fromJpeg = decodeGrayscale(encodeJpeg(renderScene("diagonal", 16, 16), 95));
    expect(fromJpeg.pixels[0]).toBeGreaterThan(230);
    expect(() => decodeGrayscale(Buffer.from("GIF89a......"))).toThrow(/gif images are not supported/);
    expect(() => decodeGrayscale(Buffer.from("hello"))).toThrow(/not a PNG or JPEG/);
  });

  it("refuses a PNG whose header claims more pixels than the limit, before decoding it", () => {
    const png = encodePng(renderScene("checker", 4, 4));
    png.writeUInt32BE(100_000, 16);
    png.writeUInt32BE(100_000, 20);
    expect(() => decodeGrayscale(png)).toThrow(/larger than 12000000 pixels/);
  });
});
