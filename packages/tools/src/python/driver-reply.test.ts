import { crc32, deflateSync } from "node:zlib";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import {
  checkReplyImages,
  DriverReplyError,
  IMAGE_LIMITS,
  PNG_DATA_URI_PREFIX,
  parseRunReply,
  replyByteLimit,
} from "./driver-reply";
import { checkPng, InvalidImageError } from "./png-check";

function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  image.data.fill(200);
  return PNG.sync.write(image);
}

const uri = (bytes: Buffer) => `${PNG_DATA_URI_PREFIX}${bytes.toString("base64")}`;

/** Rebuilds a PNG's chunk with correct CRC after `edit` changed its data. */
function withChunk(bytes: Buffer, type: string, edit: (data: Buffer) => Buffer): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, 8)];
  for (let offset = 8; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const chunkType = bytes.subarray(offset + 4, offset + 8).toString("latin1");
    let data = bytes.subarray(offset + 8, offset + 8 + length);
    if (chunkType === type) data = edit(Buffer.from(data));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(chunkType, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data, crc32(Buffer.from(chunkType, "latin1"))), 0);
    parts.push(head, data, crc);
    offset += 12 + length;
  }
  return Buffer.concat(parts);
}

const VALID = {
  ok: true,
  success: true,
  stdout: "out\n",
  stderr: "",
  stdoutDropped: 0,
  stderrDropped: 0,
  images: [] as string[],
  markers: true,
};

describe("parseRunReply", () => {
  it("returns exactly the known fields of a valid reply", () => {
    expect(parseRunReply({ ...VALID, id: "x", extra: "/etc/passwd" }, 1000)).toEqual({
      success: true,
      stdout: "out\n",
      stderr: "",
      stdoutDropped: 0,
      stderrDropped: 0,
      images: [],
      markers: true,
    });
  });

  it("rejects every field of the wrong type or size", () => {
    const cases: [string, unknown][] = [
      ["success", "yes"],
      ["stdout", 5],
      ["stderr", null],
      ["stdout", "x".repeat(1000 + 1025)],
      ["stdoutDropped", -1],
      ["stderrDropped", 1.5],
      ["stdoutDropped", "3"],
      ["images", "data:image/png;base64,AAAA"],
      ["images", [42]],
      ["images", [{ url: "/etc/passwd" }]],
      ["images", Array.from({ length: IMAGE_LIMITS.maxImages + 1 }, () => "x")],
      ["markers", 1],
    ];
    for (const [field, value] of cases) {
      expect(() => parseRunReply({ ...VALID, [field]: value }, 1000), field).toThrow(DriverReplyError);
    }
  });

  it("caps the reply line at what the output caps and image caps imply, far below the old 256 MiB", () => {
    expect(replyByteLimit(256 * 1024)).toBeLessThan(64 * 1024 * 1024);
    expect(replyByteLimit(256 * 1024)).toBeGreaterThan(IMAGE_LIMITS.maxTotalChars + 12 * 256 * 1024);
  });
});

describe("checkReplyImages", () => {
  it("passes valid PNG data URIs of reference sizes through unchanged (positive control)", async () => {
    const images = [uri(png(64, 64)), uri(png(32, 9408)), uri(png(640, 480))];
    expect(await checkReplyImages(images)).toEqual({ images });
  });

  it("drops all of a call's images, with a one-line note, when any one is not a valid PNG data URI", async () => {
    const good = uri(png(64, 64));
    const bad = [
      "/etc/passwd",
      "file:///etc/shadow",
      "http://169.254.169.254/latest/meta-data/",
      "data:text/html,<script>alert(1)</script>",
      "data:image/svg+xml;base64,PHN2Zy8+",
      "data:image/jpeg;base64,/9j/4AAQ",
      `${PNG_DATA_URI_PREFIX}not base64!`,
      `${PNG_DATA_URI_PREFIX}AAAA====`,
      `${PNG_DATA_URI_PREFIX}${Buffer.from("GIF89a not a png at all, long enough to pass length checks").toString("base64")}`,
      uri(png(50, 50)), // not a size the rules produce
      uri(png(64, 64).subarray(0, 60)), // truncated
    ];
    for (const image of bad) {
      const checked = await checkReplyImages([good, image]);
      expect(checked.images, image.slice(0, 40)).toEqual([]);
      expect(checked.note).toMatch(
        /^\[images dropped: image 2 of 2 is not a valid observation image \(.+\)\]$/,
      );
      expect(checked.note?.includes("\n")).toBe(false);
    }
  });
});

describe("checkPng", () => {
  it("accepts what pngjs writes and reports its size", async () => {
    expect(await checkPng(png(96, 64))).toEqual({ width: 96, height: 64 });
  });

  it("rejects bad CRCs, trailing bytes, unknown critical chunks and bad filter bytes", async () => {
    const good = png(64, 64);
    const badCrc = Buffer.from(good);
    badCrc[good.length - 13] ^= 0xff; // inside the last IDAT's CRC or IEND's: either breaks
    await expect(checkPng(badCrc)).rejects.toBeInstanceOf(InvalidImageError);
    await expect(checkPng(Buffer.concat([good, Buffer.from("<html>")]))).rejects.toThrow(/after IEND/);
    const rows = Buffer.alloc(64 * (1 + 64 * 4), 0);
    rows[0] = 9; // filter type 9 does not exist
    const badFilter = withChunk(good, "IDAT", () => deflateSync(rows));
    await expect(checkPng(badFilter)).rejects.toThrow(/unknown filter type/);
  });

  it("stops a compression bomb at the size the header implies", async () => {
    // 64x64 RGBA declares 16,448 raw bytes; this IDAT inflates to 64 MiB.
    const bomb = withChunk(png(64, 64), "IDAT", () => deflateSync(Buffer.alloc(64 * 1024 * 1024)));
    await expect(checkPng(bomb)).rejects.toThrow(/does not inflate within 16448 bytes/);
  });
});
