import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { create, Header } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extractTarInto } from "./archive-extract";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "hdpo-archive-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const limits = { maxBytes: 1 << 20, maxEntries: 100 };

/** The bytes in small pieces, as a download delivers them. */
async function* pieces(bytes: Uint8Array, size = 700): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

interface RawEntry {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO";
  body?: string;
  linkpath?: string;
}

/** A tar written block by block, so that it can hold what no well-behaved packer writes. */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? "");
    const header = new Header({
      path: entry.path,
      type: entry.type ?? "File",
      size: body.length,
      mode: 0o644,
      mtime: new Date(0),
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    });
    header.encode();
    blocks.push(header.block!, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A real checkpoint-like folder packed by the tar library. */
async function packedFolder(gzip: boolean): Promise<Buffer> {
  const source = join(root, "source");
  mkdirSync(join(source, "nested"), { recursive: true });
  writeFileSync(join(source, "config.json"), '{"vocab_size": 320}');
  writeFileSync(join(source, "model.safetensors"), Buffer.alloc(3000, 7));
  writeFileSync(join(source, "nested", "tokenizer.json"), "{}");
  const chunks: Buffer[] = [];
  for await (const chunk of create({ cwd: source, gzip, portable: true }, ["."]))
    chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("extractTarInto", () => {
  it.each([false, true])("unpacks a packed folder (gzip %s) into the directory", async (gzip) => {
    const target = join(root, "out");
    const files = await extractTarInto(pieces(await packedFolder(gzip)), target, limits);
    expect(files.sort()).toEqual(["config.json", "model.safetensors", "nested/tokenizer.json"]);
    expect(readFileSync(join(target, "config.json"), "utf8")).toBe('{"vocab_size": 320}');
    expect(readFileSync(join(target, "model.safetensors"))).toEqual(Buffer.alloc(3000, 7));
    expect(readdirSync(root).filter((name) => name.includes("partial"))).toEqual([]);
  });

  it("replaces names the archive holds and keeps the others", async () => {
    const target = join(root, "out");
    mkdirSync(target);
    writeFileSync(join(target, "config.json"), "old");
    writeFileSync(join(target, "notes.txt"), "mine");
    await extractTarInto(pieces(rawTar([{ path: "config.json", body: "new" }])), target, limits);
    expect(readFileSync(join(target, "config.json"), "utf8")).toBe("new");
    expect(readFileSync(join(target, "notes.txt"), "utf8")).toBe("mine");
  });

  const hostile: [string, Buffer, string][] = [
    [
      "a path climbing out",
      rawTar([{ path: "../evil.txt", body: "x" }]),
      'climbs out of the folder with ".."',
    ],
    [
      "a nested climb",
      rawTar([{ path: "a/../../evil.txt", body: "x" }]),
      'climbs out of the folder with ".."',
    ],
    ["an absolute path", rawTar([{ path: "/tmp/hdpo-evil.txt", body: "x" }]), "has an absolute path"],
    [
      "a symbolic link",
      rawTar([{ path: "link", type: "SymbolicLink", linkpath: "/etc/passwd" }]),
      "is a SymbolicLink; only files and folders",
    ],
    [
      "a hard link",
      rawTar([
        { path: "a.txt", body: "x" },
        { path: "b.txt", type: "Link", linkpath: "a.txt" },
      ]),
      "is a Link; only files and folders",
    ],
    ["a fifo", rawTar([{ path: "pipe", type: "FIFO" }]), "is a FIFO"],
    ["a backslash", rawTar([{ path: "..\\evil.txt", body: "x" }]), "has a NUL or a backslash"],
    [
      "a file named twice",
      rawTar([
        { path: "a.txt", body: "x" },
        { path: "a.txt", body: "y" },
      ]),
      "could not be written",
    ],
    [
      "files past the size cap",
      rawTar([{ path: "big.bin", body: "x".repeat(5000) }]),
      "hold more than 4096 bytes",
    ],
    [
      "too many entries",
      rawTar(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}` }))),
      "more than 3 entries",
    ],
    ["bytes that are not a tar", Buffer.from("<html>not an archive</html>".repeat(40)), "is not a valid tar"],
    ["an archive of folders only", rawTar([{ path: "empty/", type: "Directory" }]), "holds no file"],
    ["an empty archive", rawTar([]), "is not a valid tar"],
  ];

  it.each(hostile)("refuses %s and leaves the directory as it was", async (_, bytes, message) => {
    const target = join(root, "out");
    mkdirSync(target);
    writeFileSync(join(target, "keep.txt"), "kept");
    const extract = extractTarInto(pieces(bytes), target, { maxBytes: 4096, maxEntries: 3 }, "exportWeights");
    await expect(extract).rejects.toThrow(message);
    await expect(extract).rejects.toThrow(/^exportWeights: /);
    expect(readdirSync(target)).toEqual(["keep.txt"]);
    expect(readdirSync(root).sort()).toEqual(["out"]);
    expect(existsSync("/tmp/hdpo-evil.txt")).toBe(false);
  });

  it("refuses a download larger than the cap before unpacking it all", async () => {
    const bytes = gzipSync(rawTar([{ path: "a.txt", body: "y".repeat(100_000) }]), { level: 0 });
    const extract = extractTarInto(pieces(bytes), join(root, "out"), { maxBytes: 10_000, maxEntries: 3 });
    await expect(extract).rejects.toThrow(/larger than 10000 bytes|hold more than 10000 bytes/);
    expect(existsSync(join(root, "out"))).toBe(false);
  });
});
