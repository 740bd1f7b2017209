import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { startVerlToolTestServer } from "@hdpo/agent-loop/testing";
import { readPredictions } from "@hdpo/evaluation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../test-support/built-cli";
import { startScriptedModel, tempDir, writeScriptedDataset } from "../test-support/evaluation-fixture";
import { main } from "./main";

let cli: string;
let model: Awaited<ReturnType<typeof startScriptedModel>>;
let data: string;

beforeAll(async () => {
  cli = await buildCli();
  model = await startScriptedModel();
  data = await writeScriptedDataset(await tempDir("hdpo-eval-cli-data-"));
});
afterAll(() => model.server.close());

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } },
  };
}

interface Spawned {
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  signal(name: NodeJS.Signals): void;
}

function spawnCli(args: string[]): Spawned {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, OPENAI_API_KEY: "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
    stdout: () => stdout,
    stderr: () => stderr,
    signal: (name) => child.kill(name),
  };
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("hdpo-eval (the built bin, spawned)", () => {
  it("runs to the end, printing the headline and writing every output", async () => {
    const tools = await startVerlToolTestServer();
    try {
      const out = await tempDir("hdpo-eval-cli-run-");
      const run = spawnCli([
        "run",
        "--data",
        data,
        "--base-url",
        model.baseUrl,
        "--tools",
        tools.url,
        "--concurrency",
        "4",
        "--out",
        out,
      ]);
      expect(await run.exit).toBe(0);
      expect(run.stdout()).toContain(
        "done: n=9/9 accuracy 66.67% tool-use 44.44% mean T 0.444 judge errors 0 blind-tool 33.3% missed-tool 33.3%",
      );
      // off a terminal the progress is plain lines, the last one at 100 %
      expect(run.stderr()).toContain("progress 9/9 100%");
      for (const file of [
        "predictions.jsonl",
        "summary.json",
        "acc.csv",
        "report.html",
        "headline.png",
        "config.json",
      ]) {
        expect((await stat(join(out, file))).size).toBeGreaterThan(0);
      }
    } finally {
      await tools.close();
    }
  });

  it("Ctrl-C twice while items hang in a tool: exits 130 with what finished written, and a rerun completes it", async () => {
    // tool calls hang: items that use a tool stay in flight until abandoned
    const hanging = await startVerlToolTestServer((body) =>
      body.finish?.[0] === true ? { kind: "status", status: 500, body: "" } : { kind: "hang" },
    );
    const out = await tempDir("hdpo-eval-cli-sigint-");
    const predictionsPath = join(out, "predictions.jsonl");
    try {
      const run = spawnCli([
        "run",
        "--data",
        data,
        "--base-url",
        model.baseUrl,
        "--tools",
        hanging.url,
        "--concurrency",
        "2",
        "--out",
        out,
      ]);
      // m1 answers directly; m2 and m3 hang in their tool call, holding both slots.
      await waitFor(
        async () =>
          (await readPredictions(predictionsPath, { repair: false })).predictions.length === 1 &&
          hanging.requests.length >= 2,
        "m1 done, m2 and m3 in their tools",
      );
      run.signal("SIGINT");
      await waitFor(
        () => run.stderr().includes("stopping after the running items"),
        "the first Ctrl-C message",
      );
      run.signal("SIGINT");
      expect(await run.exit).toBe(130);
      expect(run.stderr()).toContain("abandoning running items");
      expect(run.stdout()).toContain("stopped: n=1/9");
      expect((await readPredictions(predictionsPath)).predictions.map((p) => p.id)).toEqual(["m1"]);
      expect(JSON.parse(await readFile(join(out, "summary.json"), "utf8"))).toMatchObject({
        n: 1,
        complete: false,
      });
    } finally {
      await hanging.close();
    }
    const tools = await startVerlToolTestServer();
    try {
      const rerun = spawnCli([
        "run",
        "--data",
        data,
        "--base-url",
        model.baseUrl,
        "--tools",
        tools.url,
        "--out",
        out,
      ]);
      expect(await rerun.exit).toBe(0);
      expect(rerun.stdout()).toContain("resumed 1 finished items");
      const ids = (await readFile(predictionsPath, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).id as string);
      expect(ids.sort()).toEqual(["m1", "m2", "m3", "m4", "o1", "o2", "v1", "v2", "v3"]);
      expect(JSON.parse(await readFile(join(out, "summary.json"), "utf8")).accuracy).toBeCloseTo(6 / 9, 12);
    } finally {
      await tools.close();
    }
  });
});

/** stderr's lines, and a check that none is a stack frame. */
function stderrLines(run: Spawned): string[] {
  const lines = run
    .stderr()
    .split("\n")
    .filter((line) => line !== "");
  expect(lines.filter((line) => line.startsWith("    at "))).toEqual([]);
  return lines;
}

describe("hdpo-eval (the built bin): one line, no stack, for what a user can fix", () => {
  it("a malformed --base-url", async () => {
    const run = spawnCli([
      "run",
      "--data",
      data,
      "--base-url",
      "localhost:8000",
      "--out",
      await tempDir("x-"),
    ]);
    expect(await run.exit).toBe(1);
    expect(stderrLines(run)).toEqual([
      'hdpo-eval: --base-url must be an http(s) URL like http://127.0.0.1:8000/v1; got "localhost:8000".',
    ]);
  });

  it("a bad --max-infra-failures", async () => {
    const run = spawnCli(["run", "--data", data, "--base-url", model.baseUrl, "--max-infra-failures", "0"]);
    expect(await run.exit).toBe(1);
    expect(stderrLines(run)).toHaveLength(1);
  });

  it("a tool server that is down: stops past the threshold with one line, exit 1, summary.json counts it", async () => {
    const gone = await startVerlToolTestServer();
    await gone.close();
    const out = await tempDir("hdpo-eval-cli-tools-down-");
    const run = spawnCli([
      "run",
      "--data",
      data,
      "--base-url",
      model.baseUrl,
      "--tools",
      gone.url,
      "--concurrency",
      "1",
      "--max-infra-failures",
      "2",
      "--out",
      out,
    ]);
    expect(await run.exit).toBe(1);
    const lines = stderrLines(run);
    expect(lines.filter((line) => line.startsWith("hdpo-eval:"))).toEqual([lines.at(-1)]);
    expect(lines.at(-1)).toMatch(
      /^hdpo-eval: stopped: 2 consecutive items were not scored because the tool server failed; the last: the tool server at http:\/\/127\.0\.0\.1:\d+\/get_observation could not be reached .*\. The 1 finished items are kept; fix it and run the same command again to resume\.$/,
    );
    expect(run.stdout()).toContain("stopped: n=1/9");
    expect(run.stdout()).toContain("not scored 2 (the tool server)");
    expect(JSON.parse(await readFile(join(out, "summary.json"), "utf8")).notScored).toEqual({
      "tool-server": 2,
      model: 0,
      judge: 0,
    });
  });

  it("a model endpoint that is down (the real client and its retries): one line naming it, exit 1", async () => {
    const gone = await startScriptedModel();
    await gone.server.close();
    const out = await tempDir("hdpo-eval-cli-model-down-");
    const run = spawnCli([
      "run",
      "--data",
      data,
      "--base-url",
      gone.baseUrl,
      "--tools",
      "none",
      "--out",
      out,
    ]);
    expect(await run.exit).toBe(1);
    const lines = stderrLines(run);
    expect(lines.at(-1)).toMatch(
      /^hdpo-eval: stopped: \d+ consecutive items were not scored because the model endpoint failed; the last: the model endpoint failed: .* could not connect \(4 attempts\)/,
    );
    expect((await readPredictions(join(out, "predictions.jsonl"))).predictions).toEqual([]);
  });
});

describe("main (in process)", () => {
  it("explains a missing flag, a bad flag value and an unknown command in one line", async () => {
    const a = io();
    expect(await main(["run", "--data", "x.jsonl", "--out", "o"], a.io)).toBe(1);
    expect(a.err.join("")).toBe("hdpo-eval: hdpo-eval run needs --base-url. See hdpo-eval --help.\n");
    const b = io();
    expect(
      await main(
        ["run", "--data", "x", "--out", "o", "--base-url", "http://h/v1", "--concurrency", "two"],
        b.io,
      ),
    ).toBe(1);
    expect(b.err.join("")).toContain('--concurrency must be a whole number, got "two"');
    const c = io();
    expect(
      await main(
        ["run", "--data", "x", "--out", "o", "--base-url", "http://h/v1", "--tools", "ftp://x"],
        c.io,
      ),
    ).toBe(1);
    expect(c.err.join("")).toContain('--tools must be "local"');
    const d = io();
    expect(await main(["evaluate"], d.io)).toBe(2);
    expect(d.err.join("")).toContain('unknown command "evaluate"');
    const e = io();
    expect(await main(["--help"], e.io)).toBe(0);
    expect(e.out.join("")).toContain("hdpo-eval compare RUN_DIR...");
  });

  it("reports a malformed dataset with its row and column", async () => {
    const dir = await tempDir("hdpo-eval-cli-bad-");
    const bad = join(dir, "bad.jsonl");
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(
        bad,
        '{"id":"a","question":"q","answer":"x"}\n{"id":"b","question":"q","answer":5.5,"toolNecessity":"often"}\n',
      ),
    );
    const a = io();
    expect(
      await main(
        ["run", "--data", bad, "--base-url", model.baseUrl, "--tools", "none", "--out", join(dir, "run")],
        a.io,
      ),
    ).toBe(1);
    expect(a.err.join("")).toContain(
      'bad.jsonl (row 2, column "toolNecessity"): expected "required" or "unnecessary", got "often"',
    );
  });

  it("compare: a side-by-side table and compare.html/.png with one point per run", async () => {
    const tools = await startVerlToolTestServer();
    try {
      const runA = await tempDir("hdpo-eval-cmp-a-");
      const runB = await tempDir("hdpo-eval-cmp-b-");
      const common = ["--data", data, "--base-url", model.baseUrl, "--tools", tools.url];
      expect(await main(["run", ...common, "--out", runA], io().io)).toBe(0);
      expect(await main(["run", ...common, "--limit", "4", "--tools", "none", "--out", runB], io().io)).toBe(
        0,
      );
      const outDir = await tempDir("hdpo-eval-cmp-out-");
      const c = io();
      expect(await main(["compare", runA, runB, "--out", outDir], c.io)).toBe(0);
      const table = c.out.join("").split("\n");
      expect(table[0]).toMatch(
        /^\| run +\| n +\| accuracy +\| tool-use rate +\| mean T +\| blind tool use +\| missed tool use +\| judge errors \|$/,
      );
      const rows = table.filter((line) => line.startsWith("| hdpo-eval-cmp-"));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatch(/\| 9 +\| 66\.67% +\| 44\.44% +\| 0\.444 +\| 33\.33% +\| 33\.33% +\| 0 +\|/);
      // --tools none: m2 and m3 call a tool that is not there (still T = 1), and still answer
      expect(rows[1]).toMatch(/\| 4 +\| 75\.00% +\| 50\.00% +\|/);
      const html = await readFile(join(outDir, "compare.html"), "utf8");
      expect(html.match(/<circle /g)).toHaveLength(2);
      expect(html.match(/<tr class="run">/g)).toHaveLength(2);
      expect((await stat(join(outDir, "compare.png"))).size).toBeGreaterThan(1000);
    } finally {
      await tools.close();
    }
  });

  it("compare: says what is missing when a folder is not a run", async () => {
    const a = io();
    expect(await main(["compare", await tempDir("hdpo-eval-not-a-run-")], a.io)).toBe(1);
    expect(a.err.join("")).toContain("cannot read summary.json (ENOENT)");
  });
});
