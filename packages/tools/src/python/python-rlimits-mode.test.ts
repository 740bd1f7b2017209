import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesOfUid } from "./process-tree";
import { createPythonLauncher, type PythonLauncher } from "./python-launcher";
import { testInterpreter } from "./python-test-support";
import { detectSandbox } from "./sandbox-detect";

// The degraded fallback (no bubblewrap): still rlimits, uid drop (as root), a scrubbed env and loud warnings.
let launcher: PythonLauncher;
let sessionRoot: string;

beforeAll(async () => {
  sessionRoot = await mkdtemp(join(tmpdir(), "hdpo-rlimits-sessions-"));
  launcher = await createPythonLauncher({
    interpreter: await testInterpreter(),
    sandbox: await detectSandbox({ mode: "rlimits" }),
    sessionRoot,
    limits: { memoryBytes: 512 * 1024 ** 2, cpuSeconds: 1 },
  });
});

afterAll(async () => {
  await launcher?.close();
  await rm(sessionRoot, { recursive: true, force: true });
});

describe("degraded 'rlimits' mode", () => {
  it("says loudly what is not stopped", () => {
    expect(launcher.sandbox.mode).toBe("rlimits");
    const warnings = launcher.sandbox.warnings.join("\n");
    expect(warnings).toMatch(/NOT stopped: network access/);
    expect(warnings).toMatch(/reading files outside the session dir/);
  });

  it("reports that no seccomp filter, inode cap or oom floor applies", () => {
    expect(launcher.sandbox.seccomp).toBe(false);
    expect(launcher.sandbox.inodeCap).toBe(false);
    expect(launcher.sandbox.oomLocked).toBe(false);
    const seccomp = launcher.sandbox.layers.find((layer) => layer.name === "seccomp syscall filter");
    expect(seccomp?.active).toBe(false);
    expect(seccomp?.reason).toMatch(/^no seccomp filter without bubblewrap/);
  });

  it("ends a call's double-forked busy orphans when it returns, through the session's uid", async () => {
    if (!launcher.sandbox.uidDrop) {
      // Without a per-session uid the orphans are out of reach; the sweep layer says so.
      expect(
        launcher.sandbox.layers.find((layer) => layer.name.startsWith("per-call sweep"))?.reason,
      ).toMatch(/double fork/);
      return;
    }
    const session = await launcher.start("degraded-sweep", []);
    const result = await session.run(
      [
        "import os, time",
        "r, w = os.pipe()",
        "if os.fork() == 0:",
        "    grandchild = os.fork()",
        "    if grandchild == 0:",
        "        while True:",
        "            pass",
        "    os.write(w, str(grandchild).encode())",
        "    os._exit(0)",
        "orphan = int(os.read(r, 32))",
        "os.kill(orphan, 0)",
        "print(os.getuid(), orphan)",
      ].join("\n"),
    );
    const [uid, orphan] = result.stdout.trim().split(" ").map(Number);
    expect(orphan).toBeGreaterThan(1); // positive control: it ran, re-parented away from the driver
    const left = await processesOfUid(uid as number);
    expect(left).not.toContain(orphan);
    expect(left).toHaveLength(1); // the driver
    expect((await session.run("print('alive')")).stdout).toBe("alive\n");
    await session.close();
  });

  it("still runs persistent sessions in their own host dir, removed on close", async () => {
    const session = await launcher.start("degraded-1", []);
    await session.run("v = 5\nopen('f.txt', 'w').write('x')");
    const result = await session.run("print(v * 2, os.getcwd(), os.listdir('.'))");
    const dir = join(sessionRoot, "degraded-1");
    expect(result.stdout).toBe(`10 ${dir} ['f.txt']\n`);
    const info = statSync(dir);
    expect(info.mode & 0o777).toBe(0o700);
    if (launcher.sandbox.uidDrop) expect(info.uid).toBeGreaterThanOrEqual(200_000);
    await session.close();
    expect(existsSync(dir)).toBe(false);
  });

  it("enforces rlimits: MemoryError at the address-space cap, and the CPU cap ends the session", async () => {
    const session = await launcher.start("degraded-2", []);
    const memory = await session.run("x = bytearray(4 * 1024 ** 3)");
    expect(memory.stderr).toContain("MemoryError");
    const cpu = await session.run("while True:\n    pass", { timeoutMs: 30_000 });
    expect(cpu).toMatchObject({ terminated: true, timedOut: false, success: false });
    expect(cpu.stderr).toMatch(/killed by SIGXCPU|SIGKILL/);
  });
});
