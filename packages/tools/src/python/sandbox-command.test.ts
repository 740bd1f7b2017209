import { describe, expect, it } from "vitest";
import type { PythonInterpreter } from "./find-python";
import { DEFAULT_PYTHON_LIMITS } from "./python-limits";
import { buildSandboxCommand, SANDBOX_SECCOMP_FD, writableTmpfsPaths } from "./sandbox-command";
import type { SandboxReport } from "./sandbox-detect";

const interpreter: PythonInterpreter = {
  path: "/usr/bin/python3",
  version: "3.11.2",
  modules: { PIL: true, numpy: true, matplotlib: true },
  prefixes: ["/usr"],
};

function report(mode: "bwrap" | "rlimits", uidDrop: boolean): SandboxReport {
  return {
    mode,
    layers: [],
    warnings: [],
    uidDrop,
    seccomp: mode === "bwrap",
    inodeCap: mode === "bwrap" && uidDrop,
    oomLocked: mode === "bwrap",
    tools: {
      setpriv: "/usr/bin/setpriv",
      kill: "/usr/bin/kill",
      ...(mode === "bwrap" ? { bwrap: "/usr/bin/bwrap" } : {}),
    },
  };
}

function pairIndex(args: string[], flag: string, value: string): number {
  return args.findIndex((arg, index) => arg === flag && args[index + 1] === value);
}

describe("buildSandboxCommand", () => {
  const input = {
    interpreter,
    limits: DEFAULT_PYTHON_LIMITS,
    driver: "/tmp/hdpo-python-runtime-0/abc/driver.py",
    mplCache: "/tmp/hdpo-python-runtime-0/abc/mpl-3.11.2",
    sessionRoot: "/tmp/metis_sessions",
  };

  it("drops to the session uid, then builds a bwrap sandbox with no network and read-only system dirs", () => {
    const command = buildSandboxCommand({ ...input, sandbox: report("bwrap", true), uid: 200_007 });
    expect(command.command).toBe("/usr/bin/setpriv");
    const args = command.args;
    expect(args.slice(0, 8)).toEqual([
      "--reuid",
      "200007",
      "--regid",
      "200007",
      "--clear-groups",
      "--pdeathsig",
      "KILL",
      "--",
    ]);
    expect(args[8]).toBe("/usr/bin/bwrap");
    for (const flag of [
      "--unshare-all",
      "--unshare-user",
      "--disable-userns",
      "--die-with-parent",
      "--new-session",
      "--clearenv",
    ]) {
      expect(args).toContain(flag);
    }
    expect(args).not.toContain("--share-net");
    expect(pairIndex(args, "--ro-bind", "/usr")).toBeGreaterThan(0);
    expect(pairIndex(args, "--remount-ro", "/")).toBeGreaterThan(pairIndex(args, "--tmpfs", "/tmp"));
    expect(pairIndex(args, "--remount-ro", "/dev")).toBeGreaterThan(pairIndex(args, "--tmpfs", "/dev/shm"));
    expect(pairIndex(args, "--remount-ro", "/proc")).toBe(pairIndex(args, "--proc", "/proc") + 2);
    // the session root lives in the size-capped /tmp tmpfs
    const tmp = pairIndex(args, "--tmpfs", "/tmp");
    expect(args.slice(tmp - 2, tmp)).toEqual(["--size", String(DEFAULT_PYTHON_LIMITS.diskBytes)]);
    expect(pairIndex(args, "--ro-bind", "/tmp/hdpo-python-runtime-0/abc")).toBeGreaterThan(0);
    expect(pairIndex(args, "--setenv", "OPENBLAS_NUM_THREADS")).toBeGreaterThan(0);
    const separator = args.lastIndexOf("--");
    expect(args.slice(separator + 1, separator + 7)).toEqual([
      "/usr/bin/python3",
      "-I",
      "-B",
      "-X",
      "utf8",
      "/opt/hdpo/driver/driver.py",
    ]);
    const config = JSON.parse(args[separator + 7] as string);
    expect(config.limits.processes).toBe(DEFAULT_PYTHON_LIMITS.processes);
    expect(config.mplCache).toBe("/opt/hdpo/mpl-cache");
    // the seccomp program travels on its own fd, read by bwrap before anything starts
    expect(pairIndex(args, "--seccomp", String(SANDBOX_SECCOMP_FD))).toBeGreaterThan(0);
    expect(pairIndex(args, "--seccomp", String(SANDBOX_SECCOMP_FD))).toBeLessThan(separator);
    expect(command.seccomp?.length).toBeGreaterThan(0);
    expect((command.seccomp?.length ?? 0) % 8).toBe(0);
  });

  it("names the writable tmpfs mounts that get the inode cap", () => {
    expect(writableTmpfsPaths("/tmp/metis_sessions")).toEqual(["/tmp", "/dev/shm"]);
    expect(writableTmpfsPaths("/srv/sessions")).toEqual(["/tmp", "/dev/shm", "/srv/sessions"]);
  });

  it("mounts its own capped tmpfs for a session root outside /tmp", () => {
    const command = buildSandboxCommand({
      ...input,
      sessionRoot: "/srv/sessions",
      sandbox: report("bwrap", false),
    });
    expect(command.command).toBe("/usr/bin/setpriv");
    expect(command.args.slice(0, 3)).toEqual(["--pdeathsig", "KILL", "--"]);
    expect(pairIndex(command.args, "--tmpfs", "/srv/sessions")).toBeGreaterThan(0);
  });

  it("never passes the server's environment on", () => {
    process.env.HDPO_ARGV_TEST_SECRET = "sk-should-not-appear";
    try {
      for (const mode of ["bwrap", "rlimits"] as const) {
        const command = buildSandboxCommand({ ...input, sandbox: report(mode, true), uid: 200_001 });
        expect(Object.keys(command.env).sort()).toEqual(
          [
            "HOME",
            "LANG",
            "LC_ALL",
            "MKL_NUM_THREADS",
            "MPLBACKEND",
            "MPLCONFIGDIR",
            "NUMEXPR_NUM_THREADS",
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "PATH",
            "TMPDIR",
          ].sort(),
        );
        expect(JSON.stringify(command)).not.toContain("sk-should-not-appear");
      }
    } finally {
      delete process.env.HDPO_ARGV_TEST_SECRET;
    }
  });

  it("in rlimits mode without a uid leaves RLIMIT_NPROC out (it would count the server's own threads)", () => {
    const command = buildSandboxCommand({ ...input, sandbox: report("rlimits", false) });
    expect(command.args).not.toContain("/usr/bin/bwrap");
    expect(command.args).not.toContain("--seccomp");
    expect(command.seccomp).toBeUndefined();
    const config = JSON.parse(command.args[command.args.length - 1] as string);
    expect(config.limits.processes).toBeUndefined();
    expect(config.limits.memoryBytes).toBe(DEFAULT_PYTHON_LIMITS.memoryBytes);
  });
});
