import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PolicyError } from "../policy-error";

/**
 * The file-system calls an atomic write makes, injectable so that tests can fail one of them (a crash
 * between writing the temp file and renaming it) and check what is left on disk.
 */
export interface AtomicWriteFileSystem {
  rename(from: string, to: string): Promise<void>;
}

const nodeFileSystem: AtomicWriteFileSystem = { rename: fs.rename };

/**
 * Writes `data` to `path` so that a reader (or a crash) sees either the old file or the whole new one,
 * never a partial file: the bytes go to a temp file in the same directory (same file system, so the rename
 * is atomic), are fsynced, then renamed over `path`, and the directory is fsynced so the rename is durable.
 * On failure the temp file is removed and the old file is left untouched.
 *
 * @throws PolicyError naming the path when any step fails (the cause is attached).
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  fileSystem: AtomicWriteFileSystem = nodeFileSystem,
): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await fs.open(temp, "wx");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fileSystem.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new PolicyError(`could not write ${path} (${reason}); the previous file, if any, is unchanged`, {
      cause: error,
    });
  }
  await syncDirectory(directory);
}

/** Best effort: some platforms (Windows) cannot open a directory for fsync, and the data is already safe. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(directory, "r");
    await handle.sync();
  } catch {
    // Durability of the rename is all that is lost here; the file itself is complete.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
