import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestOpenAIServer, InProcessTools, ScriptedPolicy } from "@hdpo/agent-loop/testing";
import { type Prediction, summarize } from "@hdpo/evaluation";
import { afterAll, beforeAll, bench, describe } from "vitest";
import { renderRunReport, runScatterPoints } from "./report/html-report";
import { renderScatterPng } from "./report/report-charts";
import { RUN_DEFAULTS, type RunConfig } from "./run/run-config";
import { runEvaluation } from "./run/run-evaluation";

// Evaluator overhead per item: an instant model (half the items call a tool once, then answer), instant in-process
// tools and the rule judge; each item is still rolled out, judged, appended and fsynced. items/s = ITEMS × hz.
const ITEMS = 512;
const CONCURRENCY = 64;
const dataDir = await mkdtemp(join(tmpdir(), "hdpo-eval-bench-"));
const data = join(dataDir, "data.jsonl");
writeFileSync(
  data,
  `${Array.from({ length: ITEMS }, (_, i) => JSON.stringify({ id: `i${i}`, question: `Q${i} tool=${i % 2}`, answer: String(i), category: `c${i % 8}`, toolNecessity: i % 3 === 0 ? "required" : "unnecessary" })).join("\n")}\n`,
);
const answerOf = (question: string) => /^Q(\d+)/.exec(question)?.[1] ?? "";
const call =
  '<reason>compute</reason><tool_call>{"name":"python","arguments":{"code":"print(1)"}}</tool_call>';
const policy = new ScriptedPolicy(({ step, question }) =>
  question.endsWith("tool=1") && step === 0
    ? call
    : `<reason>known</reason><answer>${answerOf(question)}</answer>`,
);
const tools = {
  executor: new InProcessTools(() => ({ text: "1", valid: true, done: false }), false),
  schemas: [],
};
const config = (out: string, baseUrl: string): RunConfig => ({
  ...RUN_DEFAULTS,
  data,
  out,
  baseUrl,
  tools: "none",
  concurrency: CONCURRENCY,
});

const server = createTestOpenAIServer({
  models: ["bench-model"],
  defaultReply: (body) => {
    const messages = body.messages as { role: string; content: string }[];
    const question = messages.find((m) => m.role === "user")?.content ?? "";
    return {
      text:
        question.endsWith("tool=1") && messages.length <= 2 ? call : `<answer>${answerOf(question)}</answer>`,
    };
  },
});
let baseUrl = "";
beforeAll(async () => {
  baseUrl = await server.listen();
});
const runDirs: string[] = [];
const runDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  runDirs.push(dir);
  return dir;
};
afterAll(async () => {
  await server.close();
  await Promise.all([dataDir, ...runDirs].map((dir) => rm(dir, { recursive: true, force: true })));
});

describe(`evaluator overhead (${ITEMS} items, concurrency ${CONCURRENCY}, instant model and judge)`, () => {
  bench(
    "in-process instant policy",
    async () => {
      await runEvaluation(config(await runDir("hdpo-eval-bench-run-"), "http://unused.invalid/v1"), {
        policy,
        tools,
      });
    },
    { iterations: 5, warmupIterations: 1 },
  );
  bench(
    "OpenAI-compatible HTTP test server",
    async () => {
      await runEvaluation(config(await runDir("hdpo-eval-bench-http-"), baseUrl), { tools });
    },
    { iterations: 5, warmupIterations: 1 },
  );
});

// The report for 10,000 predictions: summary, HTML (inline SVG, first 200 items listed) and the headline PNG.
const MANY = 10_000;
const predictions: Prediction[] = Array.from({ length: MANY }, (_, i) => ({
  id: `p${i}`,
  category: `category ${i % 12}`,
  toolNecessity: i % 4 === 0 ? "required" : "unnecessary",
  question: `Question ${i} <with> "markup" & text`,
  groundTruth: String(i),
  prediction: i % 3 === 0 ? "wrong" : String(i),
  response: `<reason>thinking about ${i}</reason><answer>${i}</answer>`.repeat(4),
  verdict: {
    status: "ok",
    score: i % 3 === 0 ? 0 : 1,
    correct: i % 3 !== 0,
    decidedBy: "rule",
    rule: "normalized-exact",
  },
  included: true,
  score: i % 3 === 0 ? 0 : 1,
  toolCalls: i % 5,
  toolCallsByName: (i % 5 === 0 ? {} : { python: i % 5 }) as Record<string, number>,
  invalidToolCalls: 0,
  finishReason: "answer",
  timings: { totalMs: 100 + (i % 97), modelMs: 80, toolMs: 15, judgeMs: 1 },
  tokens: { prompt: 300, completion: 60, observation: 20 },
  finishedAt: "2026-01-01T00:00:00.000Z",
}));
const context = { errorPolicy: "exclude" as const, planned: MANY, complete: true };

describe(`report cost (${MANY} predictions)`, () => {
  bench("summary.json (summarize)", () => {
    summarize(predictions, context);
  });
  bench("report.html (summarize + render)", () => {
    renderRunReport(summarize(predictions, context), predictions, "bench");
  });
  bench("headline.png (800×600)", () => {
    renderScatterPng(runScatterPoints(summarize(predictions, context)), { title: "bench" });
  });
});
