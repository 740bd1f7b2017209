import { spawn } from "node:child_process";
import { access, constants, readFile } from "node:fs/promises";
import type { Writable } from "node:stream";
import { descendantsOf } from "./process-tree";
import { SandboxUnavailableError } from "./python-error";
import { SANDBOX_SECCOMP_FD, usrMounts } from "./sandbox-command";
import { capTmpfsInodes } from "./sandbox-hardening";
import { seccompProgram } from "./seccomp-filter";

/** "bwrap": namespaces + private tmpfs + rlimits; "rlimits": rlimits, uid drop and a scrubbed env only. */
export type SandboxMode = "bwrap" | "rlimits";

export interface SandboxLayer {
  name: string;
  active: boolean;
  /** What this layer stops. */
  stops: string;
  /** What it needs (root, a package, a kernel feature). */
  needs: string;
  /** Why it is inactive (or a caveat when active). */
  reason?: string;
}

export interface SandboxReport {
  mode: SandboxMode;
  layers: SandboxLayer[];
  /** Loud, human-readable: every protection that is missing. Empty only for the full sandbox. */
  warnings: string[];
  /** Sandboxed processes run as their own uid (200000 + slot), one per live process; needs root. */
  uidDrop: boolean;
  /** bwrap applies the seccomp syscall filter (seccomp-filter.ts); false in 'rlimits' mode. */
  seccomp: boolean;
  /** Each session's writable tmpfs mounts get an inode cap (limits.inodes); needs bwrap and root. */
  inodeCap: boolean;
  /** oom_score_adj 1000 is written from outside and /proc is read-only inside, so user code cannot lower it (bwrap). */
  oomLocked: boolean;
  /** Absolute paths of the helpers used to build the command line. */
  tools: { bwrap?: string; setpriv?: string; kill?: string; nsenter?: string; mount?: string };
}

export interface DetectSandboxOptions {
  /** "strict": throw unless bubblewrap works; "auto" (default): best available, loudly reported. */
  require?: "strict" | "auto";
  /** Force a mode (tests, or a host where bwrap misbehaves); "bwrap" still has to work. */
  mode?: SandboxMode;
  /** Use this bubblewrap binary instead of looking in /usr/bin, /usr/local/bin, /bin. */
  bwrapPath?: string;
}

/** First uid of the per-process range used when running as root. */
export const SANDBOX_UID_BASE = 200_000;
/** How many uids the range holds (live sandboxed processes at once). */
export const SANDBOX_UID_COUNT = 60_000;

const BWRAP_CANDIDATES = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"];
const SETPRIV_CANDIDATES = ["/usr/bin/setpriv", "/bin/setpriv"];
const KILL_CANDIDATES = ["/usr/bin/kill", "/bin/kill"];
const NSENTER_CANDIDATES = ["/usr/bin/nsenter", "/bin/nsenter"];
const MOUNT_CANDIDATES = ["/usr/bin/mount", "/bin/mount"];

async function firstExecutable(candidates: string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Runs a probe; `seccomp` is written to fd SANDBOX_SECCOMP_FD (where the command line points bwrap). */
function run(command: string, args: string[], seccomp?: Buffer): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: {},
      stdio: ["ignore", "pipe", "pipe", ...(seccomp ? (["ignore", "ignore", "pipe"] as const) : [])],
    });
    if (seccomp) {
      const program = (child.stdio as unknown as Writable[])[SANDBOX_SECCOMP_FD] as Writable;
      program.on("error", () => {});
      program.end(seccomp);
    }
    let output = "";
    const collect = (chunk: Buffer) => {
      if (output.length < 4000) output += chunk.toString("utf8");
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const done = (ok: boolean, detail: string) => {
      clearTimeout(timer);
      resolve({ ok, detail: detail.trim().split("\n")[0] ?? "" });
    };
    child.on("error", (error) => done(false, error.message));
    child.on("close", (code, signal) => done(code === 0, output || `exited with ${signal ?? code}`));
  });
}

/** The probe sandbox: what every session uses, minus the driver. */
function probeArgs(bwrap: string, seccomp: boolean, program: string[]): string[] {
  return [
    bwrap,
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    ...usrMounts(),
    "--proc",
    "/proc",
    "--remount-ro",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    "1048576",
    "--tmpfs",
    "/tmp",
    ...(seccomp ? ["--seccomp", String(SANDBOX_SECCOMP_FD)] : []),
    "--",
    ...program,
  ];
}

function asSandboxUid(setpriv: string | undefined, uidDrop: boolean, command: string[]): [string, string[]] {
  if (uidDrop && setpriv) {
    const uid = String(SANDBOX_UID_BASE + SANDBOX_UID_COUNT - 1);
    return [setpriv, ["--reuid", uid, "--regid", uid, "--clear-groups", "--", ...command]];
  }
  const [first, ...rest] = command;
  return [first as string, rest];
}

/** True when bwrap can build the namespaces we use (with the seccomp filter when asked), as the sandbox uid. */
async function probeBwrap(bwrap: string, setpriv: string | undefined, uidDrop: boolean, seccomp: boolean) {
  const [command, args] = asSandboxUid(setpriv, uidDrop, probeArgs(bwrap, seccomp, ["/usr/bin/true"]));
  return run(command, args, seccomp ? seccompProgram() : undefined);
}

/** True when the server can remount a sandbox's tmpfs with an inode cap (root, CAP_SYS_ADMIN, util-linux). */
async function probeInodeCap(
  bwrap: string,
  setpriv: string | undefined,
  tools: { nsenter?: string; mount?: string },
): Promise<{ ok: boolean; detail: string }> {
  if (!tools.nsenter || !tools.mount)
    return { ok: false, detail: "nsenter or mount (util-linux) is missing" };
  const [command, args] = asSandboxUid(setpriv, true, probeArgs(bwrap, false, ["/usr/bin/sleep", "30"]));
  const child = spawn(command, args, { env: {}, stdio: "ignore", detached: true });
  const exited = new Promise<void>((resolve) => {
    child.on("exit", () => resolve());
    child.on("error", () => resolve());
  });
  try {
    const root = child.pid;
    if (root === undefined) return { ok: false, detail: "the probe sandbox did not start" };
    let leaf: number | undefined;
    for (let attempt = 0; attempt < 200 && leaf === undefined; attempt++) {
      for (const pid of descendantsOf([root])) {
        const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
        if (comm.trim() === "sleep") leaf = pid;
      }
      if (leaf === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (leaf === undefined) return { ok: false, detail: "the probe sandbox did not start" };
    await capTmpfsInodes(leaf, ["/tmp"], 64, tools);
    return { ok: true, detail: "" };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  } finally {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
  }
}

const LAYER_FACTS = {
  namespaces: {
    name: "bubblewrap namespaces (user, pid, net, ipc, uts, mount)",
    stops:
      "network (an empty network namespace: no interfaces but its own loopback, so neither the host's 127.0.0.1 services nor the internet are reachable); reading the host file system (only /usr, the /lib* links, a few /etc files and the driver are mounted, read-only); seeing or signalling other sessions' and the host's processes; escaping a kill (the session is its own pid namespace: killing it kills every descendant)",
    needs:
      "bubblewrap (apt-get install -y bubblewrap) and unprivileged user namespaces (kernel.unprivileged_userns_clone=1 / user.max_user_namespaces>0)",
  },
  tmpfs: {
    name: "private size-capped tmpfs for the session dir and /tmp",
    stops:
      "filling the host disk (writes hit ENOSPC at diskBytes), reading or deleting other sessions' directories (each session sees only its own tmpfs), leftovers after close (the tmpfs vanishes with the sandbox)",
    needs: "bubblewrap",
  },
  uid: {
    name: "one unprivileged uid per live session (200000 + slot)",
    stops:
      "one session's fork bomb starving the others (RLIMIT_NPROC counts per uid), signalling other sessions, root privileges of any kind",
    needs: "running as root (setpriv from util-linux)",
  },
  rlimits: {
    name: "rlimits (RLIMIT_AS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_FSIZE, RLIMIT_CPU, RLIMIT_CORE=0)",
    stops:
      "memory bombs (MemoryError at memoryBytes per process), fork bombs (processes), fd exhaustion, huge files, runaway CPU over the session's life, core dumps; set by the driver before any user code, soft = hard so user code cannot raise them",
    needs: "nothing (POSIX)",
  },
  env: {
    name: "scrubbed environment",
    stops: "reading secrets (API keys) from the environment: the process starts with a fixed minimal env",
    needs: "nothing",
  },
  oom: {
    name: "OOM priority (oom_score_adj = 1000)",
    stops:
      "the kernel's OOM killer picking the server when sessions together exhaust RAM: sandbox processes are its first victims (children inherit it); the server writes it from outside and the sandbox's /proc is read-only, so user code cannot lower it",
    needs: "nothing (/proc); bubblewrap to keep user code from lowering it",
  },
  seccomp: {
    name: "seccomp syscall filter",
    stops:
      "kernel surface no computation needs (EPERM): keyrings (keyctl, add_key, request_key: keys outlive a session under its uid), io_uring, ptrace and process_vm_*, perf_event_open, bpf, userfaultfd, unshare/setns/mount and namespace flags of clone, modules, kexec, clock and host administration calls; x32 and 32-bit syscalls entirely",
    needs: "bubblewrap (--seccomp) and a kernel with seccomp filters",
  },
  inodes: {
    name: "inode cap on the session's tmpfs mounts (nr_inodes = limits.inodes)",
    stops:
      "file floods that grow the host kernel's memory: empty files cost no bytes, so the size cap alone lets a million of them through",
    needs:
      "bubblewrap and root: the server remounts the sandbox's tmpfs from outside (CAP_SYS_ADMIN, nsenter and mount from util-linux)",
  },
  sweep: {
    name: "per-call sweep of leftover processes",
    stops:
      "processes a call started (forked busy loops, background servers) running on between calls: when a call returns, every process of the session but the driver is killed",
    needs: "nothing (/proc); complete with a pid namespace (bubblewrap) or a per-session uid",
  },
  timeout: {
    name: "wall-clock timeout with whole-sandbox kill",
    stops:
      "infinite loops and hangs: after timeoutMs the session's process tree is killed and the call answers terminated",
    needs: "nothing",
  },
  cgroup: {
    name: "cgroup (pids / memory)",
    stops: "aggregate memory of all of a session's processes, page cache from tmpfs writes",
    needs: "a delegated, writable cgroup hierarchy",
  },
} as const;

const cache = new Map<string, Promise<SandboxReport>>();

/**
 * The best sandbox this host supports, with every layer and what it stops. Never silent: anything less than
 * bubblewrap + a per-session uid produces warnings. `require: "strict"` throws SandboxUnavailableError without bwrap.
 */
export function detectSandbox(options: DetectSandboxOptions = {}): Promise<SandboxReport> {
  const key = `${options.require ?? "auto"}:${options.mode ?? ""}:${options.bwrapPath ?? ""}`;
  let report = cache.get(key);
  if (!report) {
    report = detect(options);
    cache.set(key, report);
    report.catch(() => cache.delete(key));
  }
  return report;
}

async function detect(options: DetectSandboxOptions): Promise<SandboxReport> {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const [bwrap, setpriv, kill, nsenter, mount] = await Promise.all([
    firstExecutable(options.bwrapPath ? [options.bwrapPath] : BWRAP_CANDIDATES),
    firstExecutable(SETPRIV_CANDIDATES),
    firstExecutable(KILL_CANDIDATES),
    firstExecutable(NSENTER_CANDIDATES),
    firstExecutable(MOUNT_CANDIDATES),
  ]);
  const uidDrop = root && setpriv !== undefined;
  let bwrapProblem: string | undefined;
  let seccompProblem: string | undefined;
  if (!bwrap) {
    bwrapProblem = `bubblewrap is not installed (looked for ${options.bwrapPath ?? BWRAP_CANDIDATES.join(", ")}; apt-get install -y bubblewrap)`;
  } else if (options.mode === "rlimits") {
    bwrapProblem = "mode 'rlimits' was forced by the caller";
  } else {
    const probe = await probeBwrap(bwrap, setpriv, uidDrop, true);
    if (!probe.ok) {
      const plain = await probeBwrap(bwrap, setpriv, uidDrop, false);
      if (plain.ok) seccompProblem = `bubblewrap could not apply the seccomp filter here: ${probe.detail}`;
      else bwrapProblem = `bubblewrap is installed but cannot create the sandbox here: ${plain.detail}`;
    }
  }
  if (bwrapProblem && options.require === "strict") {
    throw new SandboxUnavailableError(
      `The strict python sandbox needs bubblewrap: ${bwrapProblem}. Install bubblewrap and enable unprivileged user namespaces, or start with --sandbox auto to accept the weaker 'rlimits' mode.`,
    );
  }
  if (bwrapProblem && options.mode === "bwrap") {
    throw new SandboxUnavailableError(`Sandbox mode 'bwrap' was requested but ${bwrapProblem}.`);
  }
  const mode: SandboxMode = bwrapProblem ? "rlimits" : "bwrap";
  if (mode === "rlimits") seccompProblem = `no seccomp filter without bubblewrap (${bwrapProblem})`;
  const seccomp = seccompProblem === undefined;
  let inodeProblem: string | undefined;
  if (mode === "rlimits") inodeProblem = `no private tmpfs without bubblewrap (${bwrapProblem})`;
  else if (!uidDrop) inodeProblem = "not running as root: the server cannot remount the sandbox's tmpfs";
  else {
    const probe = await probeInodeCap(bwrap as string, setpriv, { nsenter, mount });
    if (!probe.ok)
      inodeProblem = `the server could not remount a sandbox's tmpfs with an inode cap: ${probe.detail}`;
  }
  const inodeCap = inodeProblem === undefined;
  const warnings: string[] = [];
  const uidReason = uidDrop
    ? undefined
    : root
      ? "setpriv (util-linux) is missing"
      : "not running as root: sessions keep the server's own uid";
  if (mode === "rlimits") {
    warnings.push(
      `DEGRADED python sandbox (mode 'rlimits'): ${bwrapProblem}. NOT stopped: network access (user code can open sockets to 127.0.0.1 and the internet), reading files outside the session dir (anything the sandbox uid can read, e.g. world-readable files under /etc, /home, /tmp), writing to world-writable places (/tmp, /dev/shm), filling the disk (RLIMIT_FSIZE caps single files only), seeing other processes, and children that call setsid() surviving the Node process's death.`,
    );
  }
  if (!uidDrop) {
    warnings.push(
      `DEGRADED python sandbox: ${uidReason}. ${
        mode === "rlimits"
          ? "Sessions share the server's uid, so they can read, change or delete each other's session dirs and signal each other's processes, and RLIMIT_NPROC is not applied (it would count the server's own threads), so a fork bomb is NOT contained."
          : "RLIMIT_NPROC is still per session (each bwrap sandbox is its own user namespace), but the sandboxed code runs under the server's uid outside the namespace."
      } Run the tool server as root (it drops to uid ${SANDBOX_UID_BASE}+ per session) to close this.`,
    );
  }
  if (mode === "bwrap" && !seccomp) {
    warnings.push(
      `DEGRADED python sandbox: ${seccompProblem}. NOT stopped: kernel keyrings (keys planted under a uid are readable by its next session), io_uring, ptrace of the sandbox's own processes, perf_event_open and bpf.`,
    );
  }
  if (mode === "bwrap" && uidDrop && !inodeCap) {
    warnings.push(
      `DEGRADED python sandbox: ${inodeProblem}. NOT stopped: a session creating millions of empty files, which costs the host kernel memory outside every cap.`,
    );
  }
  const bwrapActive = mode === "bwrap";
  const layers: SandboxLayer[] = [
    { ...LAYER_FACTS.namespaces, active: bwrapActive, ...(bwrapActive ? {} : { reason: bwrapProblem }) },
    { ...LAYER_FACTS.tmpfs, active: bwrapActive, ...(bwrapActive ? {} : { reason: bwrapProblem }) },
    { ...LAYER_FACTS.uid, active: uidDrop, ...(uidReason ? { reason: uidReason } : {}) },
    {
      ...LAYER_FACTS.rlimits,
      active: true,
      ...(mode === "rlimits" && !uidDrop
        ? {
            reason:
              "RLIMIT_NPROC skipped: without a per-session uid or user namespace it would count the server's own processes",
          }
        : {}),
    },
    { ...LAYER_FACTS.env, active: true },
    { ...LAYER_FACTS.seccomp, active: seccomp, ...(seccompProblem ? { reason: seccompProblem } : {}) },
    { ...LAYER_FACTS.inodes, active: inodeCap, ...(inodeProblem ? { reason: inodeProblem } : {}) },
    {
      ...LAYER_FACTS.oom,
      active: true,
      ...(mode === "bwrap"
        ? {}
        : {
            reason:
              "without bubblewrap's read-only /proc, user code can lower it again (down to oom_score_adj_min, which only a server with CAP_SYS_RESOURCE raises)",
          }),
    },
    {
      ...LAYER_FACTS.sweep,
      active: true,
      ...(mode === "rlimits" && !uidDrop
        ? {
            reason:
              "without a pid namespace or a per-session uid, children that re-parent away from the driver (double fork) are not found",
          }
        : {}),
    },
    { ...LAYER_FACTS.timeout, active: true },
    {
      ...LAYER_FACTS.cgroup,
      active: false,
      reason:
        "not used (fallback: rlimits, the per-call sweep and the per-uid kill): sessions get no cgroup of their own. Memory is capped per process by RLIMIT_AS, so one session can reach processes x memoryBytes at worst; the OOM priority layer makes sandboxes, not the server, the victims. To cap the aggregate, run the server in a memory-limited scope (systemd-run --scope -p MemoryMax=..., or a container limit)",
    },
  ];
  return {
    mode,
    layers,
    warnings,
    uidDrop,
    seccomp,
    inodeCap,
    oomLocked: mode === "bwrap",
    tools: {
      ...(bwrap && mode === "bwrap" ? { bwrap } : {}),
      ...(setpriv ? { setpriv } : {}),
      ...(kill ? { kill } : {}),
      ...(nsenter ? { nsenter } : {}),
      ...(mount ? { mount } : {}),
    },
  };
}
