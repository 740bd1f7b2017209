import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descendants, eventually, isAlive } from "../test-support/processes";
import { jsonOf, stdoutOf, toolCall } from "../test-support/tool-server-fixture";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SECRET = "sk-bin-secret-31337";
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hdpo-tool-server-bin-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Spawns the bin from source (tsx) and resolves with the URL of its one ready line. */
async function spawnServer(
  args: string[],
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/bin/hdpo-tool-server.ts", ...args], {
    cwd: packageDir,
    env: { PATH: process.env.PATH, SERPER_API_KEY: SECRET, HDPO_BIN_TEST_SECRET: SECRET },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolveUrl, reject) => {
    lines.once("line", (line) => {
      const match = /^hdpo-tool-server listening on (http:\/\/\S+)$/.exec(line);
      if (match) resolveUrl(match[1]!);
      else reject(new Error(`unexpected first line: ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function python(url: string, id: string, code: string): Promise<string> {
  const response = await fetch(`${url}/get_observation`, {
    method: "POST",
    body: JSON.stringify({ trajectory_ids: [id], actions: [toolCall("python", { code })] }),
  });
  expect(response.status).toBe(200);
  return (await jsonOf(response)).observations[0].obs;
}

describe("the hdpo-tool-server bin", () => {
  it("keeps its secrets from Python, then shuts down on SIGTERM leaving no child process", async () => {
    const { child, url, stderr } = await spawnServer([
      "--port",
      "0",
      "--workers",
      "2",
      "--no-blocklist",
      "--session-dir",
      join(root, "sessions"),
    ]);
    try {
      // The secret is in the server's initial environment (so in /proc/<server>/environ too).
      const leak = await python(
        url,
        "secrets",
        `import os, glob\nhits = [k for k, v in os.environ.items() if ${JSON.stringify(SECRET)} in v]\nfor p in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):\n    try:\n        if ${JSON.stringify(SECRET)}.encode() in open(p, 'rb').read():\n            hits.append(p)\n    except OSError:\n        pass\nprint('hits', hits)`,
      );
      expect(stdoutOf(leak)).toBe("hits []");
      // Leave work behind: a live session with a background child, and one with state.
      await python(
        url,
        "children",
        "import subprocess\np = subprocess.Popen(['sleep', '600'])\nprint(p.pid)",
      );
      await python(url, "state", "x = 1");
      const spawned = descendants(child.pid!);
      expect(spawned.length).toBeGreaterThan(0);
      const exited = new Promise<number | null>((resolveExit) =>
        child.once("exit", (code) => resolveExit(code)),
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(await eventually(() => spawned.every((p) => !isAlive(p.pid)))).toBe(true);
      expect(stderr()).not.toContain(SECRET);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("survives a 390 KiB deeply nested body: a 400, the same process keeps answering exactly", async () => {
    const { child, url, stderr } = await spawnServer([
      "--port",
      "0",
      "--workers",
      "1",
      "--session-dir",
      join(root, "sessions-deep"),
    ]);
    try {
      const pid = child.pid;
      expect(stdoutOf(await python(url, "control", "v = 20\nprint(v)"))).toBe("20");
      const nest = "[".repeat(200_000) + "]".repeat(200_000);
      for (const body of [`{"trajectory_ids":[${nest}],"actions":["x"]}`, nest]) {
        const reply = await fetch(`${url}/get_observation`, { method: "POST", body });
        expect(reply.status).toBe(400);
        expect((await jsonOf(reply)).detail).toMatch(/deeper than 64 levels/);
      }
      expect(stdoutOf(await python(url, "control", "v += 22\nprint(v)"))).toBe("42");
      expect(child.exitCode).toBeNull();
      expect(child.pid).toBe(pid);
      expect(isAlive(pid!)).toBe(true);
      expect(stderr()).not.toMatch(/RangeError|kept serving/);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolveExit) => child.once("exit", resolveExit));
    }
  });
});
