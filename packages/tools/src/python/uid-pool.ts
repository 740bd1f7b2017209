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
 */
export class UidPool {
  private readonly free: number[] = [];
  private next: number;
  private readonly end: number;
  private readonly used = new Set<number>();
  private readonly lockDir: string;

  constructor(first: number, count: number, lockDir: string) {
    this.next = first;
    this.end = first + count;
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
    for (;;) {
      const uid = this.free.pop() ?? (this.next < this.end ? this.next++ : undefined);
      if (uid === undefined) {
        throw new ToolsError(
          `python launcher: no free sandbox uid (${this.used.size} in use here, the rest locked by other processes in ${this.lockDir}); close sessions or lower maxSessions.`,
        );
      }
      if (await this.tryLock(uid)) {
        this.used.add(uid);
        return uid;
      }
    }
  }

  async release(uid: number): Promise<void> {
    if (!this.used.delete(uid)) return;
    await unlink(join(this.lockDir, String(uid))).catch(() => {});
    this.free.push(uid);
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
