import { crc32, inflate, inflateSync } from "node:zlib";
import { ToolsError } from "../tools-error";
import { isReferenceOutputSize } from "./image-resize-rules";

/** An observation image failed validation; the message says which rule it broke. */
export class InvalidImageError extends ToolsError {
  override readonly name: string = "InvalidImageError";
  /** The rule it broke, without the prefix. */
  readonly reason: string;

  constructor(reason: string) {
    super(`observation image rejected: ${reason}`);
    this.reason = reason;
  }
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Bit depths allowed per PNG colour type, and the samples per pixel of each. */
const COLOUR_TYPES: Record<number, { depths: number[]; channels: number }> = {
  0: { depths: [1, 2, 4, 8, 16], channels: 1 },
  2: { depths: [8, 16], channels: 3 },
  3: { depths: [1, 2, 4, 8], channels: 1 },
  4: { depths: [8, 16], channels: 2 },
  6: { depths: [8, 16], channels: 4 },
};

const CRITICAL = new Set(["IHDR", "PLTE", "IDAT", "IEND"]);

function fail(message: string): never {
  throw new InvalidImageError(message);
}

/**
 * Up to this many inflated bytes the stream is inflated on the main thread: a hop to libuv's pool costs more
 * (~0.7 ms) than inflating a small image (microseconds). Larger ones go to the pool, not to block the server.
 */
const INFLATE_ON_MAIN_THREAD_BYTES = 1 << 20;

function inflateCapped(data: Buffer, maxOutputLength: number): Promise<Buffer> {
  if (maxOutputLength <= INFLATE_ON_MAIN_THREAD_BYTES) {
    try {
      return Promise.resolve(inflateSync(data, { maxOutputLength }));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return new Promise((resolve, reject) => {
    inflate(data, { maxOutputLength }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * Checks that `bytes` is a complete, well-formed, non-interlaced PNG of a size the reference's resize rules
 * produce (as every image the driver makes is), and returns its size. Everything is checked
 * that a decoder relies on: signature, chunk lengths and CRCs, IHDR fields, chunk order, the zlib stream (large ones inflated
 * off the main thread, capped at the exact size the header implies, so a compression bomb stops there) and every
 * row's filter byte. Pixels themselves need no check: any byte value is a valid sample.
 */
export async function checkPng(bytes: Buffer): Promise<{ width: number; height: number }> {
  if (bytes.length < 8 + 25 + 12 || !bytes.subarray(0, 8).equals(SIGNATURE))
    fail("not a PNG (bad signature)");
  let offset = 8;
  let width = 0;
  let height = 0;
  let rowBytes = 0;
  let colourType = -1;
  let sawPalette = false;
  let sawEnd = false;
  let idatState: "before" | "in" | "after" = "before";
  const idat: Buffer[] = [];
  for (let index = 0; offset < bytes.length; index++) {
    if (sawEnd) fail("bytes after IEND");
    if (offset + 12 > bytes.length) fail("truncated chunk header");
    const length = bytes.readUInt32BE(offset);
    if (length > 0x7fffffff || offset + 12 + length > bytes.length) fail("chunk length past the end");
    const typeBytes = bytes.subarray(offset + 4, offset + 8);
    for (const byte of typeBytes) {
      if (!((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a))) fail("malformed chunk type");
    }
    const type = typeBytes.toString("latin1");
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (crc32(data, crc32(typeBytes)) !== bytes.readUInt32BE(offset + 8 + length)) fail(`bad CRC in ${type}`);
    offset += 12 + length;
    if (index === 0 && type !== "IHDR") fail("the first chunk is not IHDR");
    if (type === "IHDR") {
      if (index !== 0 || length !== 13) fail("misplaced or malformed IHDR");
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8] as number;
      colourType = data[9] as number;
      const rule = COLOUR_TYPES[colourType];
      if (width === 0 || height === 0) fail("zero width or height");
      if (!rule?.depths.includes(depth)) fail(`bit depth ${depth} with colour type ${colourType}`);
      if (data[10] !== 0 || data[11] !== 0) fail("unknown compression or filter method");
      if (data[12] !== 0) fail("interlaced PNG (the driver never writes one)");
      if (!isReferenceOutputSize(width, height)) {
        fail(`${width}x${height} is not a size the reference's resize rules produce`);
      }
      rowBytes = Math.ceil((width * rule.channels * depth) / 8);
      continue;
    }
    if (type === "IDAT") {
      if (idatState === "after") fail("IDAT chunks are not consecutive");
      idatState = "in";
      idat.push(data);
      continue;
    }
    if (idatState === "in") idatState = "after";
    if (type === "PLTE") {
      if (idatState !== "before" || sawPalette || length === 0 || length % 3 !== 0 || length > 768) {
        fail("misplaced or malformed PLTE");
      }
      sawPalette = true;
    } else if (type === "IEND") {
      if (length !== 0) fail("IEND with data");
      sawEnd = true;
    } else if (CRITICAL.has(type) || (typeBytes[0] as number) < 0x61) {
      fail(`unknown critical chunk ${type}`);
    }
  }
  if (!sawEnd) fail("no IEND chunk");
  if (idat.length === 0) fail("no image data");
  if (colourType === 3 && !sawPalette) fail("palette image without PLTE");
  const expectedRaw = height * (1 + rowBytes);
  let raw: Buffer;
  try {
    raw = await inflateCapped(Buffer.concat(idat), expectedRaw + 1);
  } catch (error) {
    fail(`image data does not inflate within ${expectedRaw} bytes (${(error as Error).message})`);
  }
  if (raw.length !== expectedRaw)
    fail(`image data is ${raw.length} bytes, the header implies ${expectedRaw}`);
  for (let row = 0; row < height; row++) {
    if ((raw[row * (1 + rowBytes)] as number) > 4) fail(`row ${row} has an unknown filter type`);
  }
  return { width, height };
}
