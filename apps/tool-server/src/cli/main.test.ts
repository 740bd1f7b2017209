import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, TEST_CORPUS } from "../test-support/tool-server-fixture";
import { type CliIo, main } from "./main";

let root: string;
let corpus: string;

function capture(): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hdpo-tool-server-cli-"));
  corpus = join(root, "corpus.jsonl");
  await writeFile(corpus, TEST_CORPUS.map((d) => JSON.stringify(d)).join("\n"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("hdpo-tool-server main", () => {
  it("starts, prints exactly one ready line with its URL and serves", async () => {
    const io = capture();
    const result = await main(
      [
        "--port",
        "0",
        "--workers",
        "2",
        "--session-dir",
        join(root, "sessions"),
        "--search-provider",
        "local",
        "--search-corpus",
        corpus,
        "--search-results",
        "1",
      ],
      io,
      { PATH: process.env.PATH, SERPER_API_KEY: "sk-never-printed" },
    );
    try {
      expect(result.exitCode).toBe(0);
      expect(io.outLines).toHaveLength(1);
      expect(io.outLines[0]).toMatch(/^hdpo-tool-server listening on http:\/\/127\.0\.0\.1:\d+$/);
      expect(result.url).toBe(io.outLines[0]!.split(" ").pop());
      const health = await getJson(`${result.url}/health`);
      expect(health).toMatchObject({ status: "healthy", thread_pool_size: 2, tools: ["metis"] });
      expect(health.python.path).toMatch(/python/);
      for (const line of [...io.outLines, ...io.errLines]) expect(line).not.toContain("sk-never-printed");
      // Both documents match the query; --search-results 1 shows the best one only.
      const reply = await fetch(`${result.url}/get_observation`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          trajectory_ids: ["cli-search"],
          actions: [
            '<tool_call>{"name": "search", "arguments": {"query": "Eiffel Tower Mount Fuji"}}</tool_call>',
          ],
          finish: [false],
          is_last_step: [false],
        }),
      });
      const { observations } = (await reply.json()) as { observations: Array<{ obs: string } | string> };
      const text = JSON.stringify(observations[0]);
      expect(text.match(/\[Title: /g)).toHaveLength(1);
    } finally {
      await result.server?.close({ graceMs: 0 });
    }
  });

  it("prints the usage for --help", async () => {
    const io = capture();
    expect((await main(["--help"], io, {})).exitCode).toBe(0);
    expect(io.outLines[0]).toContain("--workers N");
  });

  it("exits 2 with the problem and the usage on a bad flag", async () => {
    const io = capture();
    const result = await main(["--port", "nope"], io, {});
    expect(result.exitCode).toBe(2);
    expect(io.outLines).toEqual([]);
    expect(io.errLines[0]).toMatch(/^hdpo-tool-server: --port must be an integer/);
    expect(io.errLines[0]).toContain("Usage: hdpo-tool-server");
  });

  it("exits 1 with a clear message when the interpreter does not exist", async () => {
    const io = capture();
    const result = await main(["--port", "0", "--python", join(root, "no-such-python")], io, {});
    expect(result.exitCode).toBe(1);
    expect(io.errLines.join("\n")).toContain("no-such-python");
  });
});
