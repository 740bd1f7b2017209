import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { PythonStartError } from "./python-error";

/*
 * Limits set on a sandbox from the privileged side (the server running as root), after the driver is ready and
 * before any user code runs. Each closes a hole that the sandbox cannot close for itself:
 *
 * - inodes: bwrap's `--size` caps a tmpfs's bytes, not its files, and empty files cost no bytes: a million of
 *   them cost the host about a GiB of kernel memory that no per-process limit sees. bwrap has no option for
 *   nr_inodes, so the server enters the sandbox's mount namespace and remounts each writable tmpfs with one.
 * - oom_score_adj: a value a process set for itself it may lower again. In bwrap mode /proc is read-only inside
 *   (the driver cannot write it either), so the server writes 1000 from outside, and children inherit it.
 *   Written by a process with CAP_SYS_RESOURCE, the value also becomes the floor (oom_score_adj_min); many
 *   containers withhold that capability from root, hence the read-only /proc.
 */

export interface HardeningTools {
  nsenter?: string;
  mount?: string;
}

function exec(command: string, args: string[]): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000, encoding: "utf8", env: {} }, (error, stdout, stderr) => {
      resolve({ ok: !error, detail: (stderr || stdout || error?.message || "").trim().split("\n")[0] ?? "" });
    });
  });
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(field: string): string {
  const octal = (at: number) => field.charCodeAt(at) >= 0x30 && field.charCodeAt(at) <= 0x37;
  let out = "";
  for (let at = 0; at < field.length; at++) {
    const char = field[at] as string;
    if (char === "\\" && at + 3 < field.length && octal(at + 1) && octal(at + 2) && octal(at + 3)) {
      out += String.fromCharCode(Number.parseInt(field.slice(at + 1, at + 4), 8));
      at += 3;
    } else {
      out += char;
    }
  }
  return out;
}

/** The super-block options of the mount visible at `path` in the mount namespace of `pid`, or undefined. */
async function superOptions(pid: number, path: string): Promise<string[] | undefined> {
  const text = await readFile(`/proc/${pid}/mountinfo`, "utf8").catch(() => "");
  let found: string[] | undefined;
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 10 || unescapeMountPath(fields[4] as string) !== path) continue;
    const separator = fields.indexOf("-", 6);
    if (separator < 0) continue;
    // The last mount at a path is the one on top.
    found = [...(fields[5] as string).split(","), ...(fields[separator + 3] ?? "").split(",")];
  }
  return found;
}

/**
 * Remounts each of `paths` (tmpfs mounts inside the sandbox of `pid`) with `nr_inodes=inodes`, keeping nosuid
 * and nodev, and checks the result in the sandbox's mountinfo. Throws PythonStartError when any step fails: the
 * layer was reported active, so a session must not start without it.
 */
export async function capTmpfsInodes(
  pid: number,
  paths: string[],
  inodes: number,
  tools: HardeningTools,
): Promise<void> {
  if (!tools.nsenter || !tools.mount) {
    throw new PythonStartError("capping the sandbox's tmpfs inodes needs nsenter and mount (util-linux).");
  }
  for (const path of paths) {
    // --pid: mount(8) reads /proc/self, which in the sandbox's /proc exists only for its own pid namespace.
    const result = await exec(tools.nsenter, [
      "--target",
      String(pid),
      "--mount",
      "--pid",
      "--",
      tools.mount,
      "-o",
      `remount,nosuid,nodev,nr_inodes=${inodes}`,
      path,
    ]);
    const options = await superOptions(pid, path);
    if (!result.ok || !options?.includes(`nr_inodes=${inodes}`) || !options.includes("nosuid")) {
      throw new PythonStartError(
        `could not cap the inodes of the sandbox's ${path} at ${inodes}: ${result.detail || "the remount did not take effect"}. Run the server where root may mount (CAP_SYS_ADMIN), or without root to skip this layer.`,
      );
    }
  }
}

/** Sets oom_score_adj 1000 on `pids` from outside the sandbox (raising is allowed to their own uid too). */
export async function lockOomScore(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      await writeFile(`/proc/${pid}/oom_score_adj`, "1000");
    } catch (error) {
      throw new PythonStartError(
        `could not set oom_score_adj of sandbox process ${pid}: ${(error as Error).message}.`,
      );
    }
  }
}
