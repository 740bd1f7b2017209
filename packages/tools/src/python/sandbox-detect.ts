import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { SandboxUnavailableError } from "./python-error";
import { usrMounts } from "./sandbox-command";

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
  /** Absolute paths of the helpers used to build the command line. */
  tools: { bwrap?: string; setpriv?: string; kill?: string };
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

function run(command: string, args: string[]): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 20_000, encoding: "utf8", env: {} }, (error, stdout, stderr) => {
      resolve({ ok: !error, detail: (stderr || stdout || error?.message || "").trim().split("\n")[0] ?? "" });
    });
  });
}

/** True when bwrap can build the namespaces we use, as the uid the sandbox will run as. */
async function probeBwrap(bwrap: string, setpriv: string | undefined, uidDrop: boolean) {
  const sandbox = [
    bwrap,
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    ...usrMounts(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    "1048576",
    "--tmpfs",
    "/tmp",
    "--",
    "/usr/bin/true",
  ];
  if (uidDrop && setpriv) {
    const uid = String(SANDBOX_UID_BASE + SANDBOX_UID_COUNT - 1);
    return run(setpriv, ["--reuid", uid, "--regid", uid, "--clear-groups", "--", ...sandbox]);
  }
  const [command, ...args] = sandbox;
  return run(command as string, args);
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
      "the kernel's OOM killer picking the server when sessions together exhaust RAM: sandbox processes are its first victims (children inherit it; only root could lower it)",
    needs: "nothing (/proc)",
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
  const [bwrap, setpriv, kill] = await Promise.all([
    firstExecutable(options.bwrapPath ? [options.bwrapPath] : BWRAP_CANDIDATES),
    firstExecutable(SETPRIV_CANDIDATES),
    firstExecutable(KILL_CANDIDATES),
  ]);
  const uidDrop = root && setpriv !== undefined;
  let bwrapProblem: string | undefined;
  if (!bwrap) {
    bwrapProblem = `bubblewrap is not installed (looked for ${options.bwrapPath ?? BWRAP_CANDIDATES.join(", ")}; apt-get install -y bubblewrap)`;
  } else if (options.mode === "rlimits") {
    bwrapProblem = "mode 'rlimits' was forced by the caller";
  } else {
    const probe = await probeBwrap(bwrap, setpriv, uidDrop);
    if (!probe.ok)
      bwrapProblem = `bubblewrap is installed but cannot create the sandbox here: ${probe.detail}`;
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
    { ...LAYER_FACTS.oom, active: true },
    { ...LAYER_FACTS.timeout, active: true },
    {
      ...LAYER_FACTS.cgroup,
      active: false,
      reason:
        "not used: there is no delegated cgroup to create per-session groups in (here the v1 memory hierarchy belongs to the container runtime; v2 is not delegated). Memory is capped per process by RLIMIT_AS, so one session can reach processes x memoryBytes at worst; the OOM priority layer makes sandboxes, not the server, the victims. To cap the aggregate, run the server in a memory-limited scope (systemd-run --scope -p MemoryMax=..., or a container limit)",
    },
  ];
  return {
    mode,
    layers,
    warnings,
    uidDrop,
    tools: {
      ...(bwrap && mode === "bwrap" ? { bwrap } : {}),
      ...(setpriv ? { setpriv } : {}),
      ...(kill ? { kill } : {}),
    },
  };
}
