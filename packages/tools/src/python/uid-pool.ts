import { randomInt } from "node:crypto";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ToolsError } from "../tools-error";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Unprivileged uids handed to sandboxed processes, one each. Shared by every launcher of this Node process and
 * coordinated with other processes on the host through lock files (`<lockDir>/<uid>` holding the owner's pid), so
 * two servers never run sessions under the same uid or sweep each other's processes. A lock whose owner pid is
 * dead is taken over. A uid is released only after its processes are gone (the caller sweeps first).
 *
 * Uids are handed out round-robin from a random starting point, never "last released first": whatever a uid
 * leaves in the kernel beyond its processes (keys, SysV objects, files in shared places) should meet its next
 * owner as late as possible, here after every other uid of the range had its turn.
 */
export class UidPool {
  private readonly first: number;
  private readonly count: number;
  /** Offset of the next uid to try. */
  private cursor: number;
  private readonly used = new Set<number>();
  private readonly lockDir: string;

  constructor(first: number, count: number, lockDir: string) {
    this.first = first;
    this.count = count;
    this.cursor = count > 1 ? randomInt(count) : 0;
    this.lockDir = lockDir;
  }

  private async tryLock(uid: number): Promise<boolean> {
    const path = join(this.lockDir, String(uid));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, "wx", 0o644);
        await handle.writeFile(String(process.pid));
        await handle.close();
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
        if (Number.isInteger(owner) && owner > 0 && (owner === process.pid || alive(owner))) return false;
        await unlink(path).catch(() => {});
      }
    }
    return false;
  }

  async acquire(): Promise<number> {
    await mkdir(this.lockDir, { recursive: true, mode: 0o755 });
    for (let tried = 0; tried < this.count; tried++) {
      const uid = this.first + this.cursor;
      this.cursor = (this.cursor + 1) % this.count;
      if (this.used.has(uid)) continue;
      if (await this.tryLock(uid)) {
        this.used.add(uid);
        return uid;
      }
    }
    throw new ToolsError(
      `python launcher: no free sandbox uid (${this.used.size} in use here, the rest locked by other processes in ${this.lockDir}); close sessions or lower maxSessions.`,
    );
  }

  async release(uid: number): Promise<void> {
    if (!this.used.delete(uid)) return;
    await unlink(join(this.lockDir, String(uid))).catch(() => {});
  }

  get inUse(): number {
    return this.used.size;
  }
}

const pools = new Map<string, UidPool>();

/** The one pool of this Node process for a uid range and lock dir. */
export function sharedUidPool(first: number, count: number, lockDir: string): UidPool {
  const key = `${first}:${count}:${lockDir}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new UidPool(first, count, lockDir);
    pools.set(key, pool);
  }
  return pool;
}
