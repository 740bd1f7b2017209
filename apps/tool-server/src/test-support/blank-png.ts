import { once } from "node:events";
import { crc32, createDeflate } from "node:zlib";

/**
 * A valid, fully transparent RGBA PNG of `width` x `height`, built by streaming zero rows through deflate, so a
 * 40-megapixel file (about 150 KB, what a decompression bomb looks like) costs this process 1 MiB of memory, not the
 * 160 MB its pixels take once decoded.
 */
export async function blankPng(width: number, height: number): Promise<Buffer> {
  const row = Buffer.alloc(1 + width * 4); // filter byte 0 ("None"), then zero pixels
  const rowsPerWrite = Math.max(1, Math.floor((1024 * 1024) / row.length));
  const block = Buffer.concat(Array.from({ length: rowsPerWrite }, () => row));
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => parts.push(chunk));
  const ended = once(deflate, "end");
  for (let left = height; left > 0; left -= rowsPerWrite) {
    const rows = Math.min(left, rowsPerWrite);
    if (!deflate.write(block.subarray(0, rows * row.length))) await once(deflate, "drain");
  }
  deflate.end();
  await ended;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", Buffer.concat(parts)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}
