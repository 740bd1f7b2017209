import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Every live descendant of `root` (children, grandchildren, ...) with its command name. */
export function descendants(root: number): { pid: number; command: string }[] {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid=,comm="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length >= 3)
    .map(([pid, ppid, ...command]) => ({ pid: Number(pid), ppid: Number(ppid), command: command.join(" ") }))
    .filter((row) => isAlive(row.pid));
  const found: { pid: number; command: string }[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const row of table) {
      if (row.ppid === parent && row.command !== "ps") {
        found.push({ pid: row.pid, command: row.command });
        frontier.push(row.pid);
      }
    }
  }
  return found;
}

/** True while a process with this pid exists and is not a zombie (an exited process nobody reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls until `check` holds or `timeoutMs` passes; resolves with the last value of `check`. */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}
