import { spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenAIChatPolicy } from "@hdpo/agent-loop";
import { createTestOpenAIServer, type TestOpenAIServer } from "@hdpo/agent-loop/testing";
import type { Task } from "@hdpo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJudgeStage } from "../stages/judge-stage";
import { createNecessityStage } from "../stages/necessity-stage";
import { type CurationOptions, runCuration } from "./run-curation";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Eight tasks; the scripted model solves the even ones every time (rejected: no tool needed), the odd ones never. */
const tasks: Task[] = Array.from({ length: 8 }, (_, i) => ({
  id: `t${i}`,
  question: `What is ${i} + ${i}?`,
  answer: String(2 * i),
}));
const RUBRIC = '{"visual_relevance": 4, "reasoning_coherence": 4, "tool_use_rationale": 4, "reason": "fine"}';

function questionIndex(body: Record<string, unknown>): number {
  const text = JSON.stringify(body.messages);
  const index = tasks.findIndex((task) => text.includes(task.question));
  if (index < 0) throw new Error("unexpected request");
  return index;
}

/** The healthy base model: right on even tasks, wrong on odd ones. */
function modelReply(body: Record<string, unknown>): { text: string } {
  const i = questionIndex(body);
  return { text: `<answer>${i % 2 === 0 ? 2 * i : 999}</answer>` };
}

let dir: string;
let input: string;
let model: TestOpenAIServer;
let modelUrl: string;
/** The positive control: outputs of the same curation with every service healthy from the start. */
let healthy: { kept: string; rejected: string };

/** A base URL where nothing listens any more. */
async function closedUrl(): Promise<string> {
  const server = createTestOpenAIServer();
  const url = await server.listen();
  await server.close();
  return url;
}

function necessity(baseURL: string) {
  const policy = new OpenAIChatPolicy({ baseURL, model: "test-model", maxRetries: 0, logprobs: false });
  return createNecessityStage({ policy, k: 2, concurrency: 2 });
}

function options(name: string, overrides: Partial<CurationOptions> = {}): CurationOptions {
  return {
    input,
    output: join(dir, `${name}.jsonl`),
    rejected: join(dir, `${name}-rejected.jsonl`),
    stages: [necessity(modelUrl)],
    ...overrides,
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "curate-outages-"));
  input = join(dir, "tasks.jsonl");
  await writeFile(input, `${tasks.map((task) => JSON.stringify(task)).join("\n")}\n`);
  model = createTestOpenAIServer({ defaultReply: modelReply });
  modelUrl = await model.listen();
  const control = await runCuration(options("healthy"));
  expect(control.completed).toBe(true);
  healthy = {
    kept: await readFile(control.output, "utf8"),
    rejected: await readFile(control.rejected, "utf8"),
  };
});
afterAll(async () => {
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the positive control", () => {
  it("keeps the odd tasks and rejects the even ones as solved without tools", () => {
    expect(healthy.kept.trim().split("\n")).toHaveLength(4);
    const rejected = healthy.rejected
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rejected.map((row) => [row.id, row.reason])).toEqual([
      ["t0", "solved-without-tools"],
      ["t2", "solved-without-tools"],
      ["t4", "solved-without-tools"],
      ["t6", "solved-without-tools"],
    ]);
  });
});

describe("a model endpoint that is down", () => {
  it("rejects nothing: the rows stay undecided, the run stops past the threshold, and a rerun curates them", async () => {
    const run = options("model-down", { stages: [necessity(await closedUrl())] });
    const first = await runCuration(run);
    expect(first.completed).toBe(false);
    expect(first.infrastructureStop).toMatchObject({ service: "model", inARow: 5 });
    expect(first.infrastructureStop!.message).toMatch(/the model endpoint failed: .*could not connect/);
    expect(first.notScored.model).toBeGreaterThanOrEqual(5);
    expect(first.processed).toBe(0);
    // no outputs until every row is decided: nothing was written as rejected
    expect(await exists(run.rejected!)).toBe(false);

    const second = await runCuration({ ...run, stages: [necessity(modelUrl)] });
    expect(second.completed).toBe(true);
    expect(second.processed).toBe(8);
    expect(second.stats).toMatchObject({ kept: 4, rejected: 4, errors: 0 });
    expect(await readFile(second.output, "utf8")).toBe(healthy.kept);
    expect(await readFile(second.rejected, "utf8")).toBe(healthy.rejected);
  });

  it("answering 500 for one task: that row alone is left undecided (no stop), and a rerun decides it", async () => {
    let broken = true;
    const flaky = createTestOpenAIServer({
      defaultReply: (body) => {
        if (broken && questionIndex(body) === 3) throw new Error("model crashed");
        return modelReply(body);
      },
    });
    const flakyUrl = await flaky.listen();
    try {
      const run = options("model-500", { stages: [necessity(flakyUrl)] });
      const first = await runCuration(run);
      expect(first.completed).toBe(false);
      expect(first.infrastructureStop).toBeUndefined();
      expect(first.processed).toBe(7);
      expect(first.notScored).toEqual({ "tool-server": 0, model: 1, judge: 0 });
      expect(await exists(run.rejected!)).toBe(false);
      broken = false;
      const second = await runCuration({ ...run, stages: [necessity(flakyUrl)] });
      expect(second.completed).toBe(true);
      expect(second.processed).toBe(1);
      expect(await readFile(second.rejected, "utf8")).toBe(healthy.rejected);
      expect(await readFile(second.output, "utf8")).toBe(healthy.kept);
    } finally {
      await flaky.close();
    }
  });
});

describe("a judge that is down", () => {
  it("is an outage of the judge, not a rejection, and a rerun with the judge up decides every row", async () => {
    const judgeStage = (baseURL: string) => createJudgeStage({ baseURL, model: "judge", maxRetries: 0 });
    const run = options("judge-down", { stages: [judgeStage(await closedUrl())] });
    const first = await runCuration(run);
    expect(first.infrastructureStop).toMatchObject({ service: "judge", inARow: 5 });
    expect(first.infrastructureStop!.message).toMatch(/^the judge at .* failed: Connection error/);
    expect(first.processed).toBe(0);
    expect(await exists(run.rejected!)).toBe(false);
    const judge = createTestOpenAIServer({ models: ["judge"], defaultReply: { text: RUBRIC } });
    const judgeUrl = await judge.listen();
    try {
      const second = await runCuration({ ...run, stages: [judgeStage(judgeUrl)] });
      expect(second.completed).toBe(true);
      expect(second.stats).toMatchObject({ kept: 8, rejected: 0, errors: 0 });
    } finally {
      await judge.close();
    }
  });
});

describe("hdpo-curate (the bin): one line, no stack", () => {
  const tsx = join(packageDir, "node_modules", ".bin", "tsx");
  const bin = join(packageDir, "src", "bin", "hdpo-curate.ts");
  const runBin = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(tsx, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("exit", (code) => resolve({ code, stderr }));
    });
  const lines = (stderr: string) => stderr.split("\n").filter((line) => line !== "");

  it("a malformed --base-url is a usage error (exit 2)", async () => {
    const result = await runBin([
      "--input",
      input,
      "--output",
      join(dir, "bad-url.jsonl"),
      "--filters",
      "necessity",
      "--base-url",
      "localhost:8000",
    ]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      'hdpo-curate: --base-url must be an http(s) URL like http://127.0.0.1:8000/v1, got "localhost:8000".',
    ]);
  });

  it("a model endpoint that is down: exit 1 with one line naming it, and no rejected rows", async () => {
    const output = join(dir, "bin-down.jsonl");
    const rejected = join(dir, "bin-down-rejected.jsonl");
    const result = await runBin([
      "--input",
      input,
      "--output",
      output,
      "--rejected",
      rejected,
      "--filters",
      "necessity",
      "--base-url",
      await closedUrl(),
      "--model",
      "test-model",
      "--k",
      "2",
      "--max-infra-failures",
      "3",
      "--quiet",
    ]);
    expect(result.code).toBe(1);
    const stderr = lines(result.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(
      /^hdpo-curate: stopped: 3 consecutive rows were not decided because the model endpoint failed; the last: the model endpoint failed: .*could not connect \(4 attempts\).* The 0 rows decided are kept in .*; fix it and rerun the same command to resume\.$/,
    );
    expect(await exists(rejected)).toBe(false);
  });
});
