import { readdirSync, readFileSync } from "node:fs";

/** Live (non-zombie) descendants of `root`, read from /proc: what a shutdown must leave empty. */
export function liveDescendants(root: number = process.pid): number[] {
  const parents = new Map<number, number>();
  const states = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may contain spaces or parentheses: the fields start after the LAST ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
      states.set(Number(entry), fields[0] ?? "");
    } catch {
      // It exited while we were reading.
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parents) {
      if (ppid !== parent) continue;
      frontier.push(pid);
      if (states.get(pid) !== "Z") found.push(pid);
    }
  }
  return found;
}
