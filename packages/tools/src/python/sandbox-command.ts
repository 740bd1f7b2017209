import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { isAbsolute, posix } from "node:path";
import { IMAGE_LIMITS } from "./driver-reply";
import type { PythonInterpreter } from "./find-python";
import type { PythonLimits } from "./python-limits";
import type { SandboxReport } from "./sandbox-detect";
import { seccompProgram } from "./seccomp-filter";

/** Inside the sandbox: where the driver and the prebuilt font cache are mounted (read-only). */
export const SANDBOX_DRIVER_DIR = "/opt/hdpo/driver";
export const SANDBOX_MPL_CACHE_DIR = "/opt/hdpo/mpl-cache";
/** The fd bwrap reads the seccomp program from (after the driver's protocol fds 3 and 4). */
export const SANDBOX_SECCOMP_FD = 5;

/** /etc entries Python, numpy (BLAS via /etc/alternatives) and matplotlib read; nothing else of /etc is visible. */
const ETC_ENTRIES = [
  "/etc/alternatives",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/localtime",
  "/etc/matplotlibrc",
  "/etc/mime.types",
  "/etc/fonts",
];

/** Merged-/usr links (or real dirs on older systems). */
const ROOT_LIBS = ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"];

export interface SandboxCommandInput {
  sandbox: SandboxReport;
  interpreter: PythonInterpreter;
  limits: PythonLimits;
  /** Host path of driver.py (already in a dir the sandbox uid can read). */
  driver: string;
  mplCache?: string;
  /** The reference's METIS_SESSION_DIR; inside bwrap it is a private tmpfs. */
  sessionRoot: string;
  /** Unprivileged uid for this process when running as root. */
  uid?: number;
  /** Extra config for the driver (JSON in argv[1]). */
  driverConfig?: Record<string, unknown>;
}

export interface SandboxCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Where to spawn (a dir the sandbox uid can enter). */
  cwd: string;
  /** A seccomp program to write to fd SANDBOX_SECCOMP_FD of the spawned process (bwrap mode only). */
  seccomp?: Buffer;
}

/** The fixed environment of every sandboxed process: nothing inherited from the server. */
export function sandboxEnvironment(home: string): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    TMPDIR: home,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    OPENBLAS_NUM_THREADS: "1",
    OMP_NUM_THREADS: "1",
    MKL_NUM_THREADS: "1",
    NUMEXPR_NUM_THREADS: "1",
    MPLBACKEND: "Agg",
    MPLCONFIGDIR: `${home}/.matplotlib`,
  };
}

function underDir(path: string, dir: string): boolean {
  const relative = posix.relative(dir, path);
  return relative === "" || (!relative.startsWith("..") && !isAbsolute(relative));
}

/** The writable tmpfs mounts of a bwrap sandbox (the inode cap is applied to each). */
export function writableTmpfsPaths(sessionRoot: string): string[] {
  return underDir(sessionRoot, "/tmp") ? ["/tmp", "/dev/shm"] : ["/tmp", "/dev/shm", sessionRoot];
}

/** bwrap mounts for /usr and the merged-/usr links (or real dirs) /bin, /lib, /lib64...: what any binary needs. */
export function usrMounts(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const entry of ROOT_LIBS) {
    if (!existsSync(entry)) continue;
    const info = lstatSync(entry);
    if (info.isSymbolicLink()) args.push("--symlink", readlinkSync(entry), entry);
    else args.push("--ro-bind", entry, entry);
  }
  return args;
}

/** bwrap mounts for the interpreter: /usr, the /lib* links, its prefixes when outside /usr. */
function systemMounts(interpreter: PythonInterpreter): string[] {
  const args = usrMounts();
  for (const prefix of interpreter.prefixes) {
    if (!underDir(prefix, "/usr")) args.push("--ro-bind", prefix, prefix);
  }
  if (
    !underDir(interpreter.path, "/usr") &&
    !interpreter.prefixes.some((p) => underDir(interpreter.path, p))
  ) {
    args.push("--ro-bind", interpreter.path, interpreter.path);
  }
  for (const entry of ETC_ENTRIES) {
    if (existsSync(entry)) args.push("--ro-bind", entry, entry);
  }
  return args;
}

function driverArgs(input: SandboxCommandInput, driverPath: string, mplCache: string | undefined): string[] {
  const config = {
    limits: driverLimits(input),
    mplCache: mplCache ?? null,
    images: IMAGE_LIMITS,
    ...input.driverConfig,
  };
  return [input.interpreter.path, "-I", "-B", "-X", "utf8", driverPath, JSON.stringify(config)];
}

/** The rlimits the driver sets on itself before any user code. */
function driverLimits(input: SandboxCommandInput): Record<string, number> {
  const { limits } = input;
  const out: Record<string, number> = {
    cpuSeconds: limits.cpuSeconds,
    memoryBytes: limits.memoryBytes,
    openFiles: limits.openFiles,
    diskBytes: limits.diskBytes,
    outputBytes: limits.outputBytes,
  };
  // Without bwrap (its own user namespace) and without a per-session uid, RLIMIT_NPROC would count the
  // server's own processes and threads: the detection report says so loudly.
  if (input.sandbox.mode === "bwrap" || input.uid !== undefined) out.processes = limits.processes;
  return out;
}

/** setpriv prefix: drop to the session uid (root only) and die with the server. */
function privilegePrefix(input: SandboxCommandInput): string[] {
  const setpriv = input.sandbox.tools.setpriv;
  if (!setpriv) return [];
  const args = [setpriv];
  if (input.uid !== undefined) {
    const id = String(input.uid);
    args.push("--reuid", id, "--regid", id, "--clear-groups");
  }
  args.push("--pdeathsig", "KILL", "--");
  return args;
}

/**
 * The full command line of one sandboxed driver process. In bwrap mode:
 * `setpriv --reuid U --regid U --clear-groups --pdeathsig KILL -- bwrap --unshare-all --die-with-parent
 *  --new-session --hostname sandbox --ro-bind /usr /usr --symlink usr/lib /lib ... --ro-bind /etc/... --proc /proc
 *  --dev /dev --perms 01777 --size 1048576 --tmpfs /dev/shm --remount-ro /dev --perms 01777 --size D --tmpfs /tmp
 *  [--perms 01777 --size D --tmpfs SESSION_ROOT] --ro-bind DRIVER_DIR /opt/hdpo/driver
 *  [--ro-bind MPL_CACHE /opt/hdpo/mpl-cache] --remount-ro / --chdir /tmp --clearenv [--seccomp 5] --setenv K V ... --
 *  PYTHON -I -B -X utf8 /opt/hdpo/driver/driver.py CONFIG_JSON`
 */
export function buildSandboxCommand(input: SandboxCommandInput): SandboxCommand {
  const prefix = privilegePrefix(input);
  const bwrap = input.sandbox.tools.bwrap;
  if (input.sandbox.mode !== "bwrap" || !bwrap) {
    const env = sandboxEnvironment("/tmp");
    const args = [...prefix.slice(1), ...driverArgs(input, input.driver, input.mplCache)];
    const command = prefix[0] ?? (args.shift() as string);
    return { command, args, env, cwd: "/" };
  }
  const env = sandboxEnvironment("/tmp");
  const sessionRootInTmp = underDir(input.sessionRoot, "/tmp");
  const disk = String(input.limits.diskBytes);
  const bwrapArgs = [
    "--unshare-all",
    // No nested user namespaces: they would hand user code CAP_SYS_ADMIN over fresh namespaces (kernel surface).
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--hostname",
    "sandbox",
    ...systemMounts(input.interpreter),
    "--proc",
    "/proc",
    // Nothing in /proc is for user code to write: read-only keeps oom_score_adj (written from outside) from
    // being lowered, which needs no capability the server may lack.
    "--remount-ro",
    "/proc",
    "--dev",
    "/dev",
    // /dev/shm would otherwise be part of bwrap's /dev tmpfs with the kernel's default size (half of RAM).
    "--perms",
    "01777",
    "--size",
    String(1024 * 1024),
    "--tmpfs",
    "/dev/shm",
    "--remount-ro",
    "/dev",
    "--perms",
    "01777",
    "--size",
    disk,
    "--tmpfs",
    "/tmp",
  ];
  if (!sessionRootInTmp) bwrapArgs.push("--perms", "01777", "--size", disk, "--tmpfs", input.sessionRoot);
  const driverDir = posix.dirname(input.driver);
  bwrapArgs.push("--ro-bind", driverDir, SANDBOX_DRIVER_DIR);
  if (input.mplCache) bwrapArgs.push("--ro-bind", input.mplCache, SANDBOX_MPL_CACHE_DIR);
  // bwrap's root is a tmpfs with the kernel's default size: read-only, so nothing can be written outside the
  // size-capped mounts (/tmp, the session root, /dev/shm).
  bwrapArgs.push("--remount-ro", "/", "--chdir", "/tmp", "--clearenv");
  const seccomp = input.sandbox.seccomp ? seccompProgram() : undefined;
  if (seccomp) bwrapArgs.push("--seccomp", String(SANDBOX_SECCOMP_FD));
  for (const [key, value] of Object.entries(env)) bwrapArgs.push("--setenv", key, value);
  bwrapArgs.push(
    "--",
    ...driverArgs(
      input,
      `${SANDBOX_DRIVER_DIR}/${posix.basename(input.driver)}`,
      input.mplCache ? SANDBOX_MPL_CACHE_DIR : undefined,
    ),
  );
  const command = prefix[0] ?? bwrap;
  const args = prefix.length > 0 ? [...prefix.slice(1), bwrap, ...bwrapArgs] : bwrapArgs;
  return { command, args, env, cwd: "/", ...(seccomp ? { seccomp } : {}) };
}
