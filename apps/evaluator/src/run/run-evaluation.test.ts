import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OpenAIChatPolicy, OpenAIPolicyError } from "@hdpo/agent-loop";
import {
  createTestOpenAIServer,
  startVerlToolTestServer,
  type VerlToolTestServer,
} from "@hdpo/agent-loop/testing";
import type { Policy } from "@hdpo/core";
import { readPredictions } from "@hdpo/evaluation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvaluatorError } from "../evaluator-error";
import {
  deterministicPart,
  startScriptedModel,
  tempDir,
  testConfig,
  writeScriptedDataset,
} from "../test-support/evaluation-fixture";
import { runEvaluation } from "./run-evaluation";

let model: Awaited<ReturnType<typeof startScriptedModel>>;
let tools: VerlToolTestServer;
let data: string;

beforeAll(async () => {
  model = await startScriptedModel();
  tools = await startVerlToolTestServer();
  data = await writeScriptedDataset(await tempDir("hdpo-eval-data-"));
});
afterAll(async () => {
  await model.server.close();
  await tools.close();
});

describe("runEvaluation end to end (scripted model, verl-tool server, real HTTP)", () => {
  it("gives the hand-computed accuracy, tool-use rate and blind/missed rates with the rule judge", async () => {
    const out = await tempDir("hdpo-eval-run-");
    const result = await runEvaluation(testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url }));
    const s = result.summary;
    expect(result.complete).toBe(true);
    expect(s.n).toBe(9);
    expect(s.accuracy).toBeCloseTo(6 / 9, 12);
    expect(s.toolUseRate).toBeCloseTo(4 / 9, 12);
    expect(s.meanToolCalls).toBeCloseTo(4 / 9, 12);
    expect(s.toolCallsHistogram).toEqual({ "0": 5, "1": 4 });
    expect(s.toolCallsByName).toEqual({ python: 4 });
    expect(s.blindToolRate).toBeCloseTo(1 / 3, 12);
    expect(s.missedToolRate).toBeCloseTo(1 / 3, 12);
    expect(s.toolNecessity!.confusion).toEqual({
      required: { used: 2, notUsed: 1 },
      unnecessary: { used: 1, notUsed: 2 },
    });
    expect(s.toolNecessity!.accuracy.required).toBeCloseTo(1 / 3, 12);
    expect(s.toolNecessity!.accuracy.unnecessary).toBe(1);
    expect(s.perCategory.math).toMatchObject({ n: 4, accuracy: 0.75, toolUseRate: 0.5 });
    expect(s.perCategory.vision!.accuracy).toBeCloseTo(2 / 3, 12);
    expect(s.perCategory["(none)"]).toMatchObject({ n: 2, accuracy: 0.5, toolUseRate: 0 });
    expect(s.judgeErrors).toBe(0);
    expect(s.judge.decidedBy).toEqual({ rule: 9, llm: 0, none: 0 });
    // The tool server saw the text-protocol calls.
    expect(
      tools.requests.filter((r) => r.finish?.[0] !== true).some((r) => r.actions[0]!.includes("print('m2')")),
    ).toBe(true);

    const files = await Promise.all(
      ["summary.json", "acc.csv", "config.json", "report.html"].map((f) => readFile(join(out, f), "utf8")),
    );
    expect(JSON.parse(files[0]!).accuracy).toBeCloseTo(6 / 9, 12);
    expect(files[1]).toBe("split,Overall,(none),math,vision\nnone,0.666667,0.5,0.75,0.666667\n");
    const config = JSON.parse(files[2]!);
    expect(config.baseUrl).toBe(model.baseUrl);
    expect(config.systemPrompt).toContain("efficient problem-solving agent");
    expect(config.systemPrompt).toContain('"name":"python"');
    const predictions = (await readPredictions(join(out, "predictions.jsonl"))).predictions;
    expect(predictions.map((p) => p.id).sort()).toEqual([
      "m1",
      "m2",
      "m3",
      "m4",
      "o1",
      "o2",
      "v1",
      "v2",
      "v3",
    ]);
    expect(predictions.find((p) => p.id === "m3")).toMatchObject({
      prediction: "391",
      toolCalls: 1,
      score: 1,
      included: true,
    });
  });

  it("keeps API keys out of config.json", async () => {
    const out = await tempDir("hdpo-eval-keys-");
    await runEvaluation(
      testConfig({
        data,
        out,
        baseUrl: model.baseUrl,
        tools: "none",
        apiKey: "sk-secret-model",
        judgeApiKey: "sk-secret-judge",
        limit: 1,
      }),
    );
    const config = await readFile(join(out, "config.json"), "utf8");
    expect(config).not.toContain("sk-secret");
    expect(JSON.parse(config).limit).toBe(1);
  });

  it("sends native tool schemas and counts native tool calls with --native-tools", async () => {
    const out = await tempDir("hdpo-eval-native-");
    const before = model.server.requests.length;
    const result = await runEvaluation(
      testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url, nativeTools: true }),
    );
    expect(result.summary.accuracy).toBeCloseTo(6 / 9, 12);
    expect(result.summary.toolUseRate).toBeCloseTo(4 / 9, 12);
    expect(result.summary.toolCallsByName).toEqual({ python: 4 });
    const chat = model.server.requests.slice(before).filter((r) => r.path === "/chat/completions");
    const tools0 = chat[0]!.body!.tools as { function: { name: string } }[];
    expect(tools0.map((t) => t.function.name)).toEqual(["python", "search"]);
    // The reply to a native call goes back as a `tool` message.
    expect(chat.some((r) => (r.body!.messages as { role: string }[]).some((m) => m.role === "tool"))).toBe(
      true,
    );
  });

  it("sends what rules cannot decide to the LLM judge (the test server as judge)", async () => {
    const judge = createTestOpenAIServer({
      models: ["judge-model"],
      defaultReply: (body) => {
        const prompt = JSON.stringify(body.messages);
        return { text: prompt.includes("Prediction: the city of Paris") ? "CORRECT" : "INCORRECT" };
      },
    });
    const judgeUrl = await judge.listen();
    try {
      const out = await tempDir("hdpo-eval-llm-");
      const result = await runEvaluation(
        testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url, judge: judgeUrl }),
      );
      expect(result.summary.accuracy).toBeCloseTo(7 / 9, 12);
      expect(result.summary.judge.decidedBy).toEqual({ rule: 7, llm: 2, none: 0 });
      const judged = judge.requests.filter((r) => r.path === "/chat/completions");
      expect(judged).toHaveLength(2);
      // The judge sees the task's question, not the whole prompt, at temperature 0.
      expect(JSON.stringify(judged[0]!.body!.messages)).toContain("Question: Question ");
      expect(judged[0]!.body!.temperature).toBe(0);
    } finally {
      await judge.close();
    }
  });

  it("counts judge errors and leaves them out of accuracy under the default exclude policy", async () => {
    const judge = createTestOpenAIServer({ models: ["judge-model"], defaultReply: { text: "MAYBE" } });
    const judgeUrl = await judge.listen();
    try {
      const out = await tempDir("hdpo-eval-judge-errors-");
      const config = testConfig({
        data,
        out,
        baseUrl: model.baseUrl,
        tools: tools.url,
        judge: judgeUrl,
        judgeModel: "judge-model",
      });
      const result = await runEvaluation(config, { judgeRetryDelayMs: 1 });
      const s = result.summary;
      expect(s.judgeErrors).toBe(2);
      expect(s.excluded).toBe(2);
      expect(s.scored).toBe(7);
      expect(s.accuracy).toBeCloseTo(6 / 7, 12);
      expect(s.judge.errorPolicy).toBe("exclude");
      expect(Object.values(s.judge.errorCauses).reduce((a, b) => a + b, 0)).toBe(2);
      // Under "incorrect" the same errors count as wrong answers.
      const out2 = await tempDir("hdpo-eval-judge-errors-incorrect-");
      const strict = await runEvaluation(
        { ...config, out: out2, judgeErrorPolicy: "incorrect" },
        { judgeRetryDelayMs: 1 },
      );
      expect(strict.summary.judgeErrors).toBe(2);
      expect(strict.summary.accuracy).toBeCloseTo(6 / 9, 12);
    } finally {
      await judge.close();
    }
  });

  it("stops with the judge's cause under the fail policy, keeping what finished", async () => {
    const judge = createTestOpenAIServer({ models: ["judge-model"], defaultReply: { text: "MAYBE" } });
    const judgeUrl = await judge.listen();
    try {
      const out = await tempDir("hdpo-eval-judge-fail-");
      const config = testConfig({
        data,
        out,
        baseUrl: model.baseUrl,
        tools: tools.url,
        judge: judgeUrl,
        judgeModel: "judge-model",
        judgeErrorPolicy: "fail",
        concurrency: 1,
      });
      await expect(runEvaluation(config, { judgeRetryDelayMs: 1 })).rejects.toThrow(/error policy is "fail"/);
      const kept = (await readPredictions(join(out, "predictions.jsonl"))).predictions;
      expect(kept.map((p) => p.id)).toEqual(["m1", "m2", "m3", "m4"]);
    } finally {
      await judge.close();
    }
  });
});

describe("resume", () => {
  it("after an abandoned run and a torn last line: nothing lost, nothing duplicated, same summary", async () => {
    const reference = await runEvaluation(
      testConfig({ data, out: await tempDir("hdpo-eval-ref-"), baseUrl: model.baseUrl, tools: tools.url }),
    );

    const out = await tempDir("hdpo-eval-resume-");
    const abort = new AbortController();
    let finished = 0;
    const first = await runEvaluation(
      testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url, concurrency: 2 }),
      {
        abort: abort.signal,
        progressIntervalS: 0,
        progress: {
          write: () => {
            finished++;
            if (finished === 3) abort.abort();
          },
        },
      },
    );
    expect(first.complete).toBe(false);
    const afterFirst = (await readPredictions(join(out, "predictions.jsonl"))).predictions;
    expect(afterFirst.length).toBe(first.newlyFinished);
    expect(afterFirst.length).toBeGreaterThanOrEqual(3);
    expect(afterFirst.length).toBeLessThan(9);

    // A run killed mid-write leaves half a line.
    const path = join(out, "predictions.jsonl");
    const torn = '{"id":"v3","category":"vis';
    await writeFile(path, (await readFile(path, "utf8")) + torn);

    const second = await runEvaluation(
      testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url, concurrency: 2 }),
    );
    expect(second.resumed).toBe(afterFirst.length);
    expect(second.droppedBytes).toBe(torn.length);
    expect(second.newlyFinished).toBe(9 - afterFirst.length);
    expect(second.complete).toBe(true);
    const lines = (await readFile(path, "utf8")).split("\n").filter((line) => line !== "");
    const ids = lines.map((line) => JSON.parse(line).id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(["m1", "m2", "m3", "m4", "o1", "o2", "v1", "v2", "v3"]);
    expect(deterministicPart(second.summary)).toEqual(deterministicPart(reference.summary));

    // A third run finds everything done and evaluates nothing.
    const third = await runEvaluation(testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url }));
    expect(third.newlyFinished).toBe(0);
    expect(deterministicPart(third.summary)).toEqual(deterministicPart(reference.summary));
  });

  it("with stop (the first Ctrl-C): running items finish and are written, no new ones start", async () => {
    const out = await tempDir("hdpo-eval-stop-");
    const stop = new AbortController();
    const result = await runEvaluation(
      testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url, concurrency: 2 }),
      {
        stop: stop.signal,
        progressIntervalS: 0,
        progress: { write: () => stop.abort() },
      },
    );
    expect(result.complete).toBe(false);
    // the item that finished first triggered the stop; the one running beside it still finished
    expect(result.newlyFinished).toBe(2);
    expect((await readPredictions(join(out, "predictions.jsonl"))).predictions).toHaveLength(2);
  });
});

describe("failed rollouts (the endpoint refuses the request)", () => {
  it("are reported, not written, and run again on resume", async () => {
    // A 400 is this request's fault (say, a context too long), not an outage: the item fails and is retried.
    let broken = true;
    const healthy = new OpenAIChatPolicy({ baseURL: model.baseUrl, maxRetries: 0, logprobs: false });
    const policy: Policy = {
      name: "refuses-v2",
      generate: (request) => {
        const question = JSON.stringify(request.messages);
        if (broken && question.includes("Question v2"))
          return Promise.reject(
            new OpenAIPolicyError("http-error", "HTTP 400: context too long", { status: 400 }),
          );
        return healthy.generate(request);
      },
    };
    const out = await tempDir("hdpo-eval-flaky-");
    const config = testConfig({ data, out, baseUrl: model.baseUrl, tools: tools.url });
    const first = await runEvaluation(config, { policy });
    expect(first.failed).toHaveLength(1);
    expect(first.failed[0]!.id).toBe("v2");
    expect(first.failed[0]!.error).toContain("400");
    expect(first.unscored).toEqual([]);
    expect(first.complete).toBe(false);
    expect(first.summary.n).toBe(8);
    broken = false;
    const second = await runEvaluation(config, { policy });
    expect(second.failed).toEqual([]);
    expect(second.newlyFinished).toBe(1);
    expect(second.complete).toBe(true);
    expect(second.summary.accuracy).toBeCloseTo(6 / 9, 12);
  });

  it("when the first items all fail before any answers, stop with one line naming the endpoint", async () => {
    // Every request refused (a 400 is no outage): an endpoint that does not serve this model, not 9 bad items.
    const policy: Policy = {
      name: "refuses-all",
      generate: () =>
        Promise.reject(new OpenAIPolicyError("http-error", "HTTP 400: unknown model", { status: 400 })),
    };
    const out = await tempDir("hdpo-eval-refused-");
    const config = testConfig({ data, out, baseUrl: model.baseUrl, tools: "none", concurrency: 1 });
    await expect(runEvaluation(config, { policy })).rejects.toThrow(
      new EvaluatorError(
        `the first 4 items all failed before answering (policy "refuses-all" failed at step 0: HTTP 400: unknown model); check that the model endpoint ${model.baseUrl} is up and serves a model.`,
      ),
    );
    // the fifth item never started; the run folder still has its (empty) predictions
    expect((await readPredictions(join(out, "predictions.jsonl"))).predictions).toEqual([]);
  });
});
