import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startVerlToolTestServer } from "@hdpo/agent-loop/testing";
import { TINY_CONFIG } from "@hdpo/trainer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const tsx = join(repoRoot, "node_modules", ".bin", "tsx");
const bin = join(repoRoot, "apps", "trainer", "src", "bin", "hdpo-train.ts");

let dir: string;
let config: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-train-cli-errors-"));
  config = join(dir, "tiny.json");
  await writeFile(config, JSON.stringify(TINY_CONFIG));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the bin as a user does; resolves with its exit code and stderr's lines. */
function runBin(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [bin, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...env },
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code) => resolve({ code, lines: stderr.split("\n").filter((line) => line !== "") }));
  });
}

describe("hdpo-train (the bin, spawned): one line, no stack", () => {
  it("a missing Python", async () => {
    const { code, lines } = await runBin(
      ["run", "--config", config, "--out", join(dir, "no-python"), "--quiet"],
      {
        HDPO_PYTHON: "/nonexistent/python3",
      },
    );
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^hdpo-train: No usable Python for the python tool .*\/nonexistent\/python3.* HDPO_PYTHON/,
    );
  }, 120_000);

  it("a tool server that is not there", async () => {
    const gone = await startVerlToolTestServer();
    await gone.close();
    const { code, lines } = await runBin([
      "run",
      "--config",
      config,
      "--out",
      join(dir, "no-server"),
      "--tool-server",
      gone.url,
      "--quiet",
    ]);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^hdpo-train: tools\.server http:\/\/127\.0\.0\.1:\d+ does not answer: the tool server at .* could not be reached .* Start a tool server there/,
    );
  }, 120_000);
});
