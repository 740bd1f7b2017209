import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";

/*
 * Reads of /proc for the sandbox's processes. The per-call ones (children, state) are synchronous on purpose:
 * procfs answers from kernel memory in microseconds, and a call pays for them on every return.
 */

function isPid(name: string): boolean {
  if (name.length === 0 || name.length > 10) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** Reused by `readSmall`: every call pays for these reads, so no buffer is allocated per read. */
const scratch = Buffer.alloc(4096);

/** A procfs file's text; open/read/close directly is about twice as fast as readFileSync on these tiny files. */
function readSmall(path: string): string {
  const fd = openSync(path, "r");
  try {
    let text = "";
    for (let read = readSync(fd, scratch, 0, scratch.length, null); read > 0; ) {
      text += scratch.toString("latin1", 0, read);
      read = readSync(fd, scratch, 0, scratch.length, null);
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

/** Direct children of `pid`, over all its threads (a child belongs to the thread that forked it). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // exited
  }
  for (const tid of threads) {
    let text: string;
    try {
      text = readSmall(`/proc/${pid}/task/${tid}/children`);
    } catch {
      continue;
    }
    for (const field of text.split(" ")) if (isPid(field)) out.push(Number(field));
  }
  return out;
}

/** Every live descendant of `roots` (breadth-first, roots excluded unless reached again). */
export function descendantsOf(roots: Iterable<number>): number[] {
  const seen = new Set<number>(roots);
  const found: number[] = [];
  let frontier = [...seen];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const pid of frontier) {
      for (const child of childrenOf(pid)) {
        if (seen.has(child)) continue;
        seen.add(child);
        found.push(child);
        next.push(child);
      }
    }
    frontier = next;
  }
  return found;
}

/** The state letter of /proc/<pid>/stat ("R", "S", "Z"...), or undefined once the process is gone. */
export function processState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1");
    return text.charAt(text.lastIndexOf(")") + 2) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * pids of live processes whose owner is `uid` (from /proc). Zombies are left out: they run nothing, and the
 * pid namespace's init ends up a zombie of the host's pid 1, which may reap it only seconds later.
 */
export async function processesOfUid(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!isPid(name)) continue;
    try {
      if ((await stat(`/proc/${name}`)).uid !== uid) continue;
      const status = await readFile(`/proc/${name}/stat`, "utf8");
      if (status.slice(status.lastIndexOf(")") + 2, status.lastIndexOf(")") + 3) !== "Z")
        pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
