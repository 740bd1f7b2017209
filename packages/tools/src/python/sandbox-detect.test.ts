import { describe, expect, it } from "vitest";
import { SandboxUnavailableError } from "./python-error";
import { detectSandbox } from "./sandbox-detect";

describe("detectSandbox", () => {
  it("finds bubblewrap on this host and reports every layer", async () => {
    const report = await detectSandbox({ require: "strict" });
    expect(report.mode).toBe("bwrap");
    const names = report.layers.map((layer) => layer.name);
    expect(names.some((name) => name.includes("bubblewrap"))).toBe(true);
    expect(names.some((name) => name.includes("rlimits"))).toBe(true);
    for (const layer of report.layers) {
      expect(layer.stops.length).toBeGreaterThan(10);
      expect(layer.needs.length).toBeGreaterThan(3);
      if (!layer.active) expect(layer.reason).toBeTruthy();
    }
    const root = process.getuid?.() === 0;
    expect(report.uidDrop).toBe(root);
    expect(report.warnings.length === 0).toBe(root);
    // the seccomp filter loads through bwrap here; the inode cap needs the root server's remount
    expect(report.seccomp).toBe(true);
    expect(report.oomLocked).toBe(true);
    expect(report.inodeCap).toBe(root);
    for (const name of ["seccomp syscall filter", "per-call sweep of leftover processes"]) {
      expect(report.layers.find((layer) => layer.name === name)?.active).toBe(true);
    }
  });

  it("strict mode throws a SandboxUnavailableError without bubblewrap", async () => {
    const detect = detectSandbox({ require: "strict", bwrapPath: "/nonexistent/bwrap" });
    await expect(detect).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(detect).rejects.toThrow(/bubblewrap is not installed.*--sandbox auto/);
  });

  it("degrades loudly: the rlimits mode names what it does not stop", async () => {
    for (const report of [
      await detectSandbox({ mode: "rlimits" }),
      await detectSandbox({ bwrapPath: "/nonexistent/bwrap" }),
    ]) {
      expect(report.mode).toBe("rlimits");
      const text = report.warnings.join("\n");
      expect(text).toMatch(/DEGRADED/);
      expect(text).toMatch(/network access/);
      expect(text).toMatch(/reading files outside the session dir/);
      expect(text).toMatch(/filling the disk/);
      expect(report.layers.find((layer) => layer.name.includes("bubblewrap"))?.active).toBe(false);
      expect(report.seccomp).toBe(false);
      expect(report.layers.find((layer) => layer.name === "seccomp syscall filter")?.reason).toMatch(
        /no seccomp filter without bubblewrap/,
      );
    }
  });
});
