import { afterEach, describe, expect, it } from "vitest";
import { isJudgeOutage } from "./judge-outage";
import { LlmJudge } from "./llm-judge";
import {
  type ScriptedJudgeServer,
  type ScriptedStep,
  startScriptedJudgeServer,
} from "./scripted-judge-server.test-support";

let server: ScriptedJudgeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const input = { question: "q", groundTruth: "Paris", prediction: "the city of Paris" };

async function judgeAgainst(step: ScriptedStep, models?: string[]) {
  server = await startScriptedJudgeServer(() => step, models);
  const judge = new LlmJudge({
    baseURL: server.baseURL,
    ...(models === undefined ? { model: "judge-model" } : {}),
    retryDelayMs: 1,
    maxAttempts: 1,
  });
  return judge.judge(input);
}

describe("isJudgeOutage (a real HTTP judge)", () => {
  it("is true when the judge could not be asked: 5xx, 401/404/429, a refused connection, no model", async () => {
    for (const status of [500, 503, 401, 404, 429]) {
      const verdict = await judgeAgainst({ status });
      expect(verdict.status).toBe("error");
      expect(isJudgeOutage(verdict)).toBe(true);
      await server!.close();
      server = undefined;
    }
    const gone = await startScriptedJudgeServer(() => ({ reply: "CORRECT" }));
    const url = gone.baseURL;
    await gone.close();
    const refused = await new LlmJudge({ baseURL: url, model: "m", retryDelayMs: 1, maxAttempts: 1 }).judge(
      input,
    );
    expect(refused.cause).toMatch(/^connection: /);
    expect(isJudgeOutage(refused)).toBe(true);
    const noModel = await judgeAgainst({ reply: "CORRECT" }, []);
    expect(noModel.cause).toMatch(/^models-unavailable: /);
    expect(isJudgeOutage(noModel)).toBe(true);
  });

  it("is false for a judgement about this answer (an unparseable reply, a 400) and for every ok verdict", async () => {
    const maybe = await judgeAgainst({ reply: "MAYBE" });
    expect(maybe.cause).toMatch(/^unparseable-reply: /);
    expect(isJudgeOutage(maybe)).toBe(false);
    await server!.close();
    server = undefined;
    const bad = await judgeAgainst({ status: 400 });
    expect(bad.cause).toMatch(/^http-400: /);
    expect(isJudgeOutage(bad)).toBe(false);
    await server!.close();
    server = undefined;
    const ok = await judgeAgainst({ reply: "CORRECT" });
    expect(ok.status).toBe("ok");
    expect(isJudgeOutage(ok)).toBe(false);
  });
});
