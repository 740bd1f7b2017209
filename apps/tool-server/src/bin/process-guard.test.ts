import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs `script` (ESM, from the package folder) in a fresh node and collects its output and exit code. */
function runNode(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: packageDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("exit", (code) => resolveRun({ code, stdout, stderr }));
  });
}

// In a child process: vitest has process-wide handlers of its own, and an escaped error would fail this run.
describe("installProcessGuard", () => {
  it("logs an escaped rejection and exception in one line each and the process carries on", async () => {
    const result = await runNode(`
      import { installProcessGuard } from "./src/bin/process-guard.ts";
      installProcessGuard((line) => process.stderr.write(line + "\\n"));
      Promise.reject(new RangeError("Maximum call stack size exceeded\\nat deep"));
      setTimeout(() => { throw new TypeError("late " + "x".repeat(1000)); }, 10);
      setTimeout(() => console.log("still serving"), 100);
    `);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("still serving");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      "hdpo-tool-server: unhandled rejection (kept serving): RangeError: Maximum call stack size exceeded at deep",
    );
    expect(lines[1]).toMatch(/^hdpo-tool-server: uncaught exception \(kept serving\): TypeError: late x+…$/);
    expect(lines[1]!.length).toBeLessThan(400);
  });

  it("control: without the guard the same rejection ends the process", async () => {
    const result = await runNode(`
      Promise.reject(new RangeError("boom"));
      setTimeout(() => console.log("still serving"), 100);
    `);
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain("still serving");
  });
});
