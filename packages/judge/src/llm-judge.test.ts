import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JudgeError } from "./judge-error";
import { JUDGE_SYSTEM_PROMPT } from "./judge-prompt";
import { LlmJudge } from "./llm-judge";
import {
  type ScriptedJudgeServer,
  type ScriptedStep,
  startScriptedJudgeServer,
} from "./scripted-judge-server.test-support";
import { VerdictCache } from "./verdict-cache";

const INPUT = { question: "What is 6 × 7?", groundTruth: "42", prediction: "forty-two" };

let server: ScriptedJudgeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function judgeWith(steps: ScriptedStep[], options: ConstructorParameters<typeof LlmJudge>[0] = {}) {
  server = await startScriptedJudgeServer((index) => steps[Math.min(index, steps.length - 1)]!);
  const judge = new LlmJudge({ baseURL: server.baseURL, apiKey: "test-key", retryDelayMs: 5, ...options });
  return { judge, server };
}

describe("LlmJudge over the OpenAI wire format", () => {
  it("sends the reference request and reads CORRECT", async () => {
    server = await startScriptedJudgeServer(() => ({ reply: "CORRECT" }), ["judge-a", "judge-b"]);
    const judge = new LlmJudge({ baseURL: server.baseURL, apiKey: "test-key" });
    expect(await judge.judge(INPUT)).toEqual({ status: "ok", score: 1, correct: true, decidedBy: "llm" });
    expect(server.requests).toHaveLength(1);
    const { body, headers } = server.requests[0]!;
    expect(body.model).toBe("judge-a"); // the first id /models lists
    expect(body.temperature).toBe(0);
    expect(headers.authorization).toBe("Bearer test-key");
    expect(body.messages[0]).toEqual({ role: "system", content: JUDGE_SYSTEM_PROMPT });
    expect(body.messages[0]!.content).toContain("impartial evaluator");
    const user = body.messages[1]!;
    expect(user.role).toBe("user");
    expect(user.content).toContain("Question: What is 6 × 7?");
    expect(user.content).toContain("Ground truth: 42");
    expect(user.content).toContain("Prediction: forty-two");
  });

  it("lists the models once and uses a given model without listing", async () => {
    const { judge, server: listed } = await judgeWith([{ reply: "CORRECT" }]);
    await judge.judge(INPUT);
    await judge.judge({ ...INPUT, prediction: "42!" });
    expect(listed.modelListings).toBe(1);
    const given = new LlmJudge({ baseURL: listed.baseURL, model: "my-judge" });
    await given.judge(INPUT);
    expect(listed.modelListings).toBe(1);
    expect(listed.requests[2]!.body.model).toBe("my-judge");
  });

  it("reads ' incorrect\\n' as INCORRECT (trimmed, upper-cased)", async () => {
    const { judge } = await judgeWith([{ reply: " incorrect\n" }]);
    expect(await judge.judge(INPUT)).toEqual({ status: "ok", score: 0, correct: false, decidedBy: "llm" });
  });

  it("turns any other reply into an error verdict, not an answer, and does not retry it", async () => {
    const { judge, server: s } = await judgeWith([{ reply: "Maybe" }]);
    const verdict = await judge.judge(INPUT);
    expect(verdict.status).toBe("error");
    expect(verdict.score).toBe(0);
    expect(verdict.decidedBy).toBe("none");
    expect(verdict.cause).toContain('"Maybe"');
    expect(s.requests).toHaveLength(1);
    expect(judge.metrics().errors).toEqual({ "unparseable-reply": 1 });
  });

  it("retries a 500 and takes the answer of the second attempt", async () => {
    const { judge, server: s } = await judgeWith([{ status: 500 }, { reply: "CORRECT" }]);
    expect((await judge.judge(INPUT)).correct).toBe(true);
    expect(s.requests).toHaveLength(2);
    expect(judge.metrics()).toMatchObject({ calls: 2, retries: 1, errors: {} });
  });

  it("gives an error verdict with the HTTP cause when every attempt fails", async () => {
    const { judge, server: s } = await judgeWith([{ status: 503 }], { maxAttempts: 3 });
    const verdict = await judge.judge(INPUT);
    expect(verdict).toMatchObject({ status: "error", correct: false, decidedBy: "none" });
    expect(verdict.cause).toMatch(/^http-503: HTTP 503.*after 3 attempts/);
    expect(s.requests).toHaveLength(3);
    expect(judge.metrics()).toMatchObject({ calls: 3, retries: 2, errors: { "http-503": 1 } });
  });

  it("does not retry a 400", async () => {
    const { judge, server: s } = await judgeWith([{ status: 400 }, { reply: "CORRECT" }]);
    expect((await judge.judge(INPUT)).cause).toMatch(/^http-400:.*after 1 attempt\)/);
    expect(s.requests).toHaveLength(1);
  });

  it("times out a hanging server on every attempt", async () => {
    const { judge, server: s } = await judgeWith([{ hang: true }], { timeoutMs: 100, maxAttempts: 2 });
    const verdict = await judge.judge(INPUT);
    expect(verdict.status).toBe("error");
    expect(verdict.cause).toMatch(/^timeout: no reply within 100 ms \(after 2 attempts\)/);
    expect(s.requests).toHaveLength(2);
    expect(judge.metrics().errors).toEqual({ timeout: 1 });
  });

  it("recovers when the first attempt hangs and the second answers", async () => {
    const { judge } = await judgeWith([{ hang: true }, { reply: "INCORRECT" }], { timeoutMs: 100 });
    expect(await judge.judge(INPUT)).toMatchObject({ status: "ok", correct: false });
  });

  it("reports a refused connection and an empty model list as errors", async () => {
    const closed = await startScriptedJudgeServer(() => ({ reply: "CORRECT" }));
    await closed.close();
    const refused = new LlmJudge({ baseURL: closed.baseURL, model: "m", retryDelayMs: 1 });
    expect((await refused.judge(INPUT)).cause).toMatch(/^connection:/);
    server = await startScriptedJudgeServer(() => ({ reply: "CORRECT" }), []);
    const noModels = new LlmJudge({ baseURL: server.baseURL });
    expect((await noModels.judge(INPUT)).cause).toMatch(/^models-unavailable: .*lists no model/);
    expect(server.requests).toHaveLength(0);
  });

  it("scores an empty question, ground truth or prediction 0 without a call", async () => {
    const { judge, server: s } = await judgeWith([{ reply: "CORRECT" }]);
    for (const field of ["question", "groundTruth", "prediction"] as const) {
      const verdict = await judge.judge({ ...INPUT, [field]: "  " });
      expect(verdict).toMatchObject({ status: "ok", score: 0, decidedBy: "rule", rule: "empty-input" });
    }
    expect(s.requests).toHaveLength(0);
    expect(s.modelListings).toBe(0);
  });

  it("keeps at most `concurrency` requests in flight at the server", async () => {
    const { judge, server: s } = await judgeWith([{ reply: "CORRECT", delayMs: 30 }], { concurrency: 2 });
    const verdicts = await Promise.all(
      Array.from({ length: 7 }, (_, i) => judge.judge({ ...INPUT, prediction: `answer ${i}` })),
    );
    expect(verdicts.every((verdict) => verdict.correct)).toBe(true);
    expect(s.requests).toHaveLength(7);
    expect(s.maxInFlight).toBe(2);
  });

  it("persists verdicts to disk and reuses them from a new judge on the same file", async () => {
    const folder = await mkdtemp(join(tmpdir(), "hdpo-judge-"));
    try {
      const file = join(folder, "nested", "verdicts.jsonl");
      const { judge, server: s } = await judgeWith([
        { reply: "CORRECT" },
        { reply: "Maybe" },
        { reply: "CORRECT" },
      ]);
      // request 0 goes to a judge without a cache, so nothing is written
      expect((await judge.judge(INPUT)).correct).toBe(true);
      const first = new LlmJudge({ baseURL: s.baseURL, cache: await VerdictCache.open(file) });
      // request 1 answers "Maybe": an error, not cached
      expect((await first.judge(INPUT)).status).toBe("error");
      expect(await first.judge(INPUT)).toEqual({ status: "ok", score: 1, correct: true, decidedBy: "llm" });
      expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(1);

      const second = new LlmJudge({ baseURL: s.baseURL, cache: await VerdictCache.open(file) });
      expect(await second.judge(INPUT)).toEqual({
        status: "ok",
        score: 1,
        correct: true,
        decidedBy: "llm",
        cached: true,
      });
      expect(s.requests).toHaveLength(3);
      expect(second.metrics()).toMatchObject({ calls: 0, cacheHits: 1 });

      // The model is part of the key: another judge model is asked afresh.
      const other = new LlmJudge({
        baseURL: s.baseURL,
        model: "other",
        cache: await VerdictCache.open(file),
      });
      expect((await other.judge(INPUT)).cached).toBeUndefined();
      expect(s.requests).toHaveLength(4);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("rejects invalid options and inputs with JudgeError", () => {
    expect(() => new LlmJudge({ timeoutMs: 0 })).toThrow(JudgeError);
    expect(() => new LlmJudge({ maxAttempts: 1.5 })).toThrow(/maxAttempts must be an integer ≥ 1/);
    expect(() => new LlmJudge({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new LlmJudge({ retryDelayMs: Number.NaN })).toThrow(/retryDelayMs/);
    expect(() => new LlmJudge({ model: "" })).toThrow(/model/);
    const judge = new LlmJudge({ model: "m" });
    return expect(judge.judge({ ...INPUT, prediction: 42 as unknown as string })).rejects.toThrow(
      /prediction must be a string/,
    );
  });
});
