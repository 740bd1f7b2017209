import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { OpenAIChatPolicy } from "@hdpo/agent-loop";
import {
  createTestOpenAIServer,
  metisLikeReply,
  startVerlToolTestServer,
  type VerlToolTestServer,
} from "@hdpo/agent-loop/testing";
import { readPredictions, type Summary } from "@hdpo/evaluation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deterministicPart,
  startScriptedModel,
  tempDir,
  testConfig,
  writeScriptedDataset,
} from "../test-support/evaluation-fixture";
import { type RunResult, runEvaluation } from "./run-evaluation";

// The nine scripted items: m2, m3, v1 and v3 call python; rules alone score 6/9 (see evaluation-fixture).
const TOOL_ITEMS = ["m2", "m3", "v1", "v3"];
const ALL_ITEMS = ["m1", "m2", "m3", "m4", "o1", "o2", "v1", "v2", "v3"];

let model: Awaited<ReturnType<typeof startScriptedModel>>;
let tools: VerlToolTestServer;
let data: string;
/** The positive control: the same run with every service healthy from the start. */
let healthy: RunResult;

/** A URL on 127.0.0.1 where nothing listens any more. */
async function closedToolServerUrl(): Promise<string> {
  const server = await startVerlToolTestServer();
  await server.close();
  return server.url;
}

async function predictedIds(out: string): Promise<string[]> {
  return (await readPredictions(join(out, "predictions.jsonl"))).predictions.map((p) => p.id).sort();
}

async function summaryOnDisk(out: string): Promise<Summary> {
  return JSON.parse(await readFile(join(out, "summary.json"), "utf8")) as Summary;
}

beforeAll(async () => {
  model = await startScriptedModel();
  tools = await startVerlToolTestServer();
  data = await writeScriptedDataset(await tempDir("hdpo-eval-outage-data-"));
  healthy = await runEvaluation(
    testConfig({ data, out: await tempDir("hdpo-eval-healthy-"), baseUrl: model.baseUrl, tools: tools.url }),
  );
});
afterAll(async () => {
  await model.server.close();
  await tools.close();
});

describe("the positive control", () => {
  it("a healthy run scores every item: 6/9, nothing left unscored", () => {
    expect(healthy.complete).toBe(true);
    expect(healthy.summary.accuracy).toBeCloseTo(6 / 9, 12);
    expect(healthy.summary.notScored).toEqual({ "tool-server": 0, model: 0, judge: 0 });
    expect(healthy.unscored).toEqual([]);
  });
});

describe("a tool server that is down (a closed port)", () => {
  it("never scores the tool items: accuracy over the scored ones, counted in summary.json, finished on resume", async () => {
    const out = await tempDir("hdpo-eval-tools-down-");
    const down = await closedToolServerUrl();
    const first = await runEvaluation(testConfig({ data, out, baseUrl: model.baseUrl, tools: down }));
    // Non-tool items finish in between, so the tool server never fails 5 items in a row: no stop, but no score.
    expect(first.infrastructureStop).toBeUndefined();
    expect(first.complete).toBe(false);
    expect(first.unscored.map((u) => u.id).sort()).toEqual(TOOL_ITEMS);
    expect(first.unscored.every((u) => u.service === "tool-server")).toBe(true);
    expect(first.unscored[0]!.error).toMatch(/^the tool server at .* could not be reached/);
    expect(first.failed).toEqual([]);
    // scored: m1 m4 o1 o2 v2 → m1, o1, v2 right: 3/5 (the old behaviour scored 9 items, the tool ones wrong: 2/9)
    expect(first.summary.n).toBe(5);
    expect(first.summary.accuracy).toBeCloseTo(3 / 5, 12);
    expect(first.summary.toolUseRate).toBe(0);
    expect(first.summary.notScored).toEqual({ "tool-server": 4, model: 0, judge: 0 });
    expect((await summaryOnDisk(out)).notScored).toEqual({ "tool-server": 4, model: 0, judge: 0 });
    expect(await readFile(join(out, "report.html"), "utf8")).toContain(
      '<td data-metric="notScored" data-value="4">4 (the tool server)</td>',
    );
    expect(await predictedIds(out)).toEqual(["m1", "m4", "o1", "o2", "v2"]);

    const resumed = await runEvaluation(testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url }));
    expect(resumed.resumed).toBe(5);
    expect(resumed.newlyFinished).toBe(4);
    expect(resumed.complete).toBe(true);
    expect(await predictedIds(out)).toEqual(ALL_ITEMS);
    expect(deterministicPart(resumed.summary)).toEqual(deterministicPart(healthy.summary));
  });

  it("stops after --max-infra-failures items in a row, keeping what finished", async () => {
    const out = await tempDir("hdpo-eval-tools-stop-");
    const down = await closedToolServerUrl();
    const result = await runEvaluation(
      testConfig({ data, out, baseUrl: model.baseUrl, tools: down, concurrency: 1, maxInfraFailures: 2 }),
    );
    // in order: m1 answers, m2 and m3 fail at the tool server → stop; nothing after them starts
    expect(result.infrastructureStop).toMatchObject({ service: "tool-server", inARow: 2 });
    expect(result.infrastructureStop!.message).toMatch(/could not be reached/);
    expect(result.unscored.map((u) => u.id)).toEqual(["m2", "m3"]);
    expect(await predictedIds(out)).toEqual(["m1"]);
    expect(await summaryOnDisk(out)).toMatchObject({
      n: 1,
      complete: false,
      notScored: { "tool-server": 2, model: 0, judge: 0 },
    });
    const resumed = await runEvaluation(testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url }));
    expect(resumed.complete).toBe(true);
    expect(deterministicPart(resumed.summary)).toEqual(deterministicPart(healthy.summary));
  });
});

describe("a tool server that answers 500", () => {
  it("is an outage, not a wrong answer", async () => {
    const failing = await startVerlToolTestServer(() => ({
      kind: "status",
      status: 500,
      body: '{"detail":"internal error"}',
    }));
    try {
      const out = await tempDir("hdpo-eval-tools-500-");
      const result = await runEvaluation(
        testConfig({ data, out, baseUrl: model.baseUrl, tools: failing.url }),
      );
      expect(result.unscored.map((u) => u.id).sort()).toEqual(TOOL_ITEMS);
      expect(result.unscored[0]!.error).toContain(
        'answered HTTP 500: {"detail":"internal error"} (2 attempts)',
      );
      expect(result.summary.notScored["tool-server"]).toBe(4);
      expect(result.summary.accuracy).toBeCloseTo(3 / 5, 12);
      expect(await predictedIds(out)).toEqual(["m1", "m4", "o1", "o2", "v2"]);
    } finally {
      await failing.close();
    }
  });
});

describe("a tool server that dies mid-run", () => {
  it("scores what it answered before, leaves the rest unfinished, and a resume gives the healthy numbers", async () => {
    // The server dies when m2's session is closed (its call was answered): m3, v1 and v3 find it gone.
    // (Every trajectory closes its session, m1's too, which called no tool.)
    let dying: VerlToolTestServer | undefined;
    let answered = 0;
    dying = await startVerlToolTestServer((body) => {
      if (body.finish?.[0] !== true) answered++;
      else if (answered > 0) {
        void dying?.close();
        dying = undefined;
      }
      return metisLikeReply(body);
    });
    const out = await tempDir("hdpo-eval-tools-dies-");
    try {
      const first = await runEvaluation(
        testConfig({ data, out, baseUrl: model.baseUrl, tools: dying.url, concurrency: 1 }),
      );
      expect(first.unscored.map((u) => u.id)).toEqual(["m3", "v1", "v3"]);
      expect(first.summary.notScored).toEqual({ "tool-server": 3, model: 0, judge: 0 });
      expect(await predictedIds(out)).toEqual(["m1", "m2", "m4", "o1", "o2", "v2"]);
      const m2 = (await readPredictions(join(out, "predictions.jsonl"))).predictions.find(
        (p) => p.id === "m2",
      );
      expect(m2).toMatchObject({ toolCalls: 1, score: 1 });
    } finally {
      await dying?.close();
    }
    const resumed = await runEvaluation(testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url }));
    expect(resumed.complete).toBe(true);
    expect(resumed.newlyFinished).toBe(3);
    expect(deterministicPart(resumed.summary)).toEqual(deterministicPart(healthy.summary));
  });
});

describe("a model endpoint that is down", () => {
  it("stops after N items in a row with nothing written, and a resume against a live endpoint finishes", async () => {
    const gone = createTestOpenAIServer({ models: ["scripted-model"] });
    const baseUrl = await gone.listen();
    await gone.close();
    const out = await tempDir("hdpo-eval-model-down-");
    const policy = new OpenAIChatPolicy({
      baseURL: baseUrl,
      model: "scripted-model",
      maxRetries: 0,
      logprobs: false,
    });
    const first = await runEvaluation(testConfig({ data, out, baseUrl, tools: tools.url, concurrency: 1 }), {
      policy,
    });
    expect(first.infrastructureStop).toMatchObject({ service: "model", inARow: 5 });
    expect(first.infrastructureStop!.message).toMatch(/the model endpoint failed: .*could not connect/);
    expect(first.unscored.map((u) => u.id)).toEqual(["m1", "m2", "m3", "m4", "v1"]);
    expect(first.failed).toEqual([]);
    expect(await predictedIds(out)).toEqual([]);
    expect(await summaryOnDisk(out)).toMatchObject({
      n: 0,
      accuracy: null,
      notScored: { "tool-server": 0, model: 5, judge: 0 },
    });
    const resumed = await runEvaluation(testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url }));
    expect(resumed.complete).toBe(true);
    expect(deterministicPart(resumed.summary)).toEqual(deterministicPart(healthy.summary));
  });

  it("a model endpoint answering 503 (after its retries) is an outage too", async () => {
    const overloaded = createTestOpenAIServer({ models: ["scripted-model"] });
    const baseUrl = await overloaded.listen();
    overloaded.failNext(
      ...Array.from({ length: 20 }, () => ({ kind: "status" as const, status: 503, message: "overloaded" })),
    );
    try {
      const out = await tempDir("hdpo-eval-model-503-");
      const policy = new OpenAIChatPolicy({
        baseURL: baseUrl,
        model: "scripted-model",
        maxRetries: 0,
        logprobs: false,
      });
      const result = await runEvaluation(
        testConfig({ data, out, baseUrl, tools: tools.url, concurrency: 1, maxInfraFailures: 3 }),
        { policy },
      );
      expect(result.infrastructureStop).toMatchObject({ service: "model", inARow: 3 });
      expect(result.infrastructureStop!.message).toContain("HTTP 503");
      expect(await predictedIds(out)).toEqual([]);
    } finally {
      await overloaded.close();
    }
  });
});

describe("a judge that is down", () => {
  it("leaves the items only it could decide unscored whatever the error policy, and a resume finishes them", async () => {
    const gone = createTestOpenAIServer({ models: ["judge-model"] });
    const judgeUrl = await gone.listen();
    await gone.close();
    const out = await tempDir("hdpo-eval-judge-down-");
    const config = testConfig({
      data,
      out,
      baseUrl: model.baseUrl,
      tools: tools.url,
      judge: judgeUrl,
      judgeModel: "judge-model",
      // Under "fail" a judge error stops the run and under "incorrect" it scores 0: an outage does neither.
      judgeErrorPolicy: "incorrect",
    });
    const first = await runEvaluation(config, { judgeRetryDelayMs: 1 });
    // rules decide 7 items; v1 and o2 need the LLM
    expect(first.unscored.map((u) => u.id).sort()).toEqual(["o2", "v1"]);
    expect(first.unscored.every((u) => u.service === "judge")).toBe(true);
    expect(first.unscored[0]!.error).toMatch(/^the judge at .* failed: connection: /);
    expect(first.summary.notScored).toEqual({ "tool-server": 0, model: 0, judge: 2 });
    expect(first.summary.judgeErrors).toBe(0);
    expect(first.summary.n).toBe(7);
    expect(first.summary.accuracy).toBeCloseTo(6 / 7, 12);

    const judge = createTestOpenAIServer({
      models: ["judge-model"],
      defaultReply: (body) => ({
        text: JSON.stringify(body.messages).includes("Prediction: the city of Paris")
          ? "CORRECT"
          : "INCORRECT",
      }),
    });
    const liveUrl = await judge.listen();
    try {
      const resumed = await runEvaluation({ ...config, judge: liveUrl }, { judgeRetryDelayMs: 1 });
      expect(resumed.complete).toBe(true);
      expect(resumed.newlyFinished).toBe(2);
      expect(resumed.summary.accuracy).toBeCloseTo(7 / 9, 12);
      expect(resumed.summary.notScored.judge).toBe(0);
    } finally {
      await judge.close();
    }
  });
});
