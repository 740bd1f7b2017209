import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { Parser, type ReadEntry } from "tar";
import { LearnerError } from "../learner-error";

/** Bounds on an archive a server sends: its bytes are hostile until extracted safely. */
export interface ArchiveLimits {
  /** Bytes read from the wire, and bytes of file contents written, each at most this. */
  maxBytes: number;
  /** Entries (files and folders) at most. */
  maxEntries: number;
}

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

/**
 * Extracts a tar stream (plain, gzip or zstd; the parser sniffs which) into `directory`, refusing anything but
 * regular files and folders (no links, devices or fifos), any path that is absolute or climbs out with `..`,
 * duplicate files, and archives past the limits. It unpacks into a fresh staging folder next to `directory` and
 * moves the result in only once the whole archive checked out, so a refused archive leaves `directory` as it was;
 * names it holds that the archive also holds are replaced (like saving a checkpoint over an old one).
 *
 * @returns the relative paths of the files written.
 * @throws LearnerError saying which entry was refused and why.
 */
export async function extractTarInto(
  source: AsyncIterable<Uint8Array>,
  directory: string,
  limits: ArchiveLimits,
  what = "exportWeights",
): Promise<string[]> {
  const target = resolve(directory);
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.partial-`));
  try {
    const files = await unpack(source, staging, limits, what);
    if (files.length === 0) throw new LearnerError(`${what}: the server's archive holds no file.`);
    await mkdir(target, { recursive: true });
    for (const name of await readdir(staging)) {
      await rm(join(target, name), { recursive: true, force: true });
      await rename(join(staging, name), join(target, name));
    }
    return files;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function unpack(
  source: AsyncIterable<Uint8Array>,
  root: string,
  limits: ArchiveLimits,
  what: string,
): Promise<string[]> {
  const parser = new Parser({ strict: true });
  const files: string[] = [];
  const writes: Promise<void>[] = [];
  const outs: WriteStream[] = [];
  let failure: Error | undefined;
  let entries = 0;
  let contentBytes = 0;
  const refuse = (message: string) => {
    failure ??= new LearnerError(`${what}: refused the server's archive: ${message}`);
  };

  parser.on("entry", (entry: ReadEntry) => {
    if (failure !== undefined) {
      entry.resume();
      return;
    }
    const checked = checkEntry(entry, root);
    entries++;
    contentBytes += entry.size;
    if (typeof checked === "string") refuse(checked);
    else if (entries > limits.maxEntries) refuse(`more than ${limits.maxEntries} entries.`);
    else if (contentBytes > limits.maxBytes) refuse(`its files hold more than ${limits.maxBytes} bytes.`);
    if (failure !== undefined || typeof checked === "string" || checked === null) {
      entry.resume();
      return;
    }
    try {
      if (checked.kind === "directory") {
        mkdirSync(checked.path, { recursive: true });
        entry.resume();
        return;
      }
      mkdirSync(dirname(checked.path), { recursive: true });
      // "wx": an archive naming one file twice is refused rather than silently overwriting the first copy.
      const out = createWriteStream(checked.path, { flags: "wx", mode: 0o644 });
      outs.push(out);
      writes.push(
        new Promise<void>((done, fail) => {
          out.on("close", done);
          out.on("error", fail);
        }),
      );
      entry.pipe(out);
      files.push(checked.relative);
    } catch (error) {
      refuse(`entry ${JSON.stringify(entry.path)} could not be written (${(error as Error).message}).`);
      entry.resume();
    }
  });

  const invalid = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    failure ??= new LearnerError(`${what}: the server's archive is not a valid tar (${message}).`);
  };
  const finished = new Promise<void>((done) => {
    parser.on("end", done);
    parser.on("error", (error: Error) => {
      invalid(error);
      done();
    });
    parser.on("abort", () => done());
  });
  try {
    let wireBytes = 0;
    for await (const chunk of source) {
      wireBytes += chunk.byteLength;
      if (wireBytes > limits.maxBytes) refuse(`it is larger than ${limits.maxBytes} bytes.`);
      if (failure !== undefined) break;
      if (!parser.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        await Promise.race([new Promise((drained) => parser.once("drain", drained)), finished]);
      }
    }
    if (failure === undefined) {
      parser.end();
      await finished;
    }
  } catch (error) {
    invalid(error);
  }
  if (failure !== undefined) {
    // Files cut short by the refusal would otherwise wait forever for the rest of their entry.
    for (const out of outs) out.destroy();
  }
  await Promise.all(writes).catch((error: unknown) =>
    refuse(`a file could not be written (${error instanceof Error ? error.message : String(error)}).`),
  );
  if (failure !== undefined) throw failure;
  return files;
}

/** Where an entry goes (null: skip it, e.g. "./"), or why it is refused. */
function checkEntry(
  entry: ReadEntry,
  root: string,
): { kind: "file" | "directory"; path: string; relative: string } | null | string {
  const name = JSON.stringify(entry.path);
  const kind = FILE_TYPES.has(entry.type) ? "file" : entry.type === "Directory" ? "directory" : undefined;
  if (kind === undefined) return `entry ${name} is a ${entry.type}; only files and folders are accepted.`;
  const raw = entry.path;
  if (raw.includes("\0") || raw.includes("\\")) return `entry ${name} has a NUL or a backslash in its path.`;
  if (isAbsolute(raw) || /^[A-Za-z]:/.test(raw)) return `entry ${name} has an absolute path.`;
  const parts = raw.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) return `entry ${name} climbs out of the folder with "..".`;
  if (parts.length === 0) return kind === "directory" ? null : `entry ${name} has no file name.`;
  const relative = parts.join("/");
  const path = resolve(root, relative);
  if (!path.startsWith(root + sep)) return `entry ${name} resolves outside the folder.`;
  return { kind, path, relative };
}
