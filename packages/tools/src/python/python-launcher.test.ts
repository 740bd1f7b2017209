import { afterEach, describe, expect, it } from "vitest";
import { processesOfUid } from "./driver-process";
import { createPythonLauncher, type PythonLauncher, sessionDirName } from "./python-launcher";
import { sandboxPids, testInterpreter } from "./python-test-support";

const launchers: PythonLauncher[] = [];
async function launcher(prewarm: number): Promise<PythonLauncher> {
  const created = await createPythonLauncher({ interpreter: await testInterpreter(), prewarm });
  launchers.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(launchers.splice(0).map((created) => created.close()));
});

describe("python launcher", () => {
  it("keeps prewarmed processes ready, binds one per start and refills the pool", async () => {
    const warm = await launcher(2);
    expect(warm.stats()).toEqual({ live: 0, idle: 2, starting: 0 });
    const session = await warm.start("prewarmed", []);
    expect(warm.stats().live).toBe(1);
    expect((await session.run("print(os.getcwd())")).stdout).toBe("/tmp/metis_sessions/prewarmed\n");
    await expect.poll(() => warm.stats().idle, { timeout: 60_000 }).toBe(2);
    await session.close();
    expect(warm.stats().live).toBe(0);
  });

  it("close() kills every process it started (prewarmed, live and their children)", async () => {
    const before = sandboxPids().length;
    const local = await launcher(2);
    const session = await local.start("leak-check", []);
    await session.run("import subprocess\nchild = subprocess.Popen(['sleep', '600'])");
    expect(sandboxPids().length).toBeGreaterThan(before);
    await local.close();
    expect(sandboxPids().length).toBe(before);
    expect(local.stats()).toEqual({ live: 0, idle: 0, starting: 0 });
    await expect(local.start("after-close", [])).rejects.toThrow(/after close/);
  });

  it("runs each process under its own uid when root, and frees it with no process left", async () => {
    const local = await launcher(0);
    if (!local.sandbox.uidDrop) {
      // Not root: the report must say so loudly instead.
      expect(local.sandbox.warnings.join(" ")).toMatch(/not running as root/);
      return;
    }
    const [a, b] = await Promise.all([local.start("uid-a", []), local.start("uid-b", [])]);
    const uidA = Number((await a.run("os.getuid()")).stdout);
    const uidB = Number((await b.run("os.getuid()")).stdout);
    expect(uidA).toBeGreaterThanOrEqual(200_000);
    expect(uidB).toBeGreaterThanOrEqual(200_000);
    expect(uidA).not.toBe(uidB);
    await a.close();
    expect(await processesOfUid(uidA)).toEqual([]);
    expect((await b.run("print('b alive')")).stdout).toBe("b alive\n");
  });

  it("maps session ids to safe directory names", () => {
    expect(sessionDirName("traj-12_a.b")).toBe("traj-12_a.b");
    expect(sessionDirName("../etc")).toMatch(/^\.\._etc-[0-9a-f]{16}$/);
    expect(sessionDirName("a/b")).not.toBe(sessionDirName("a_b"));
    expect(sessionDirName("..")).not.toBe("..");
  });

  it("rejects a bad prewarm count", async () => {
    await expect(createPythonLauncher({ interpreter: await testInterpreter(), prewarm: -1 })).rejects.toThrow(
      /prewarm must be a whole number/,
    );
  });
});
