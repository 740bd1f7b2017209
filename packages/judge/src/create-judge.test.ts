import { afterEach, describe, expect, it } from "vitest";
import { createJudge } from "./create-judge";
import { JudgeError } from "./judge-error";
import { LlmJudge } from "./llm-judge";
import { type ScriptedJudgeServer, startScriptedJudgeServer } from "./scripted-judge-server.test-support";

let server: ScriptedJudgeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function llmReplying(reply: (groundTruth: string) => string) {
  server = await startScriptedJudgeServer((_index, request) => {
    const user = request.body.messages[1]!.content;
    const groundTruth = /^Ground truth: (.*)$/m.exec(user)![1]!;
    const text = reply(groundTruth);
    return text === "500" ? { status: 500 } : { reply: text };
  });
  return new LlmJudge({ baseURL: server.baseURL, model: "judge", retryDelayMs: 1, maxAttempts: 1 });
}

describe("createJudge without an LLM", () => {
  const judge = createJudge();

  it("lets the rules decide and names the rule", async () => {
    expect(await judge.judge({ question: "q", groundTruth: "0.75", prediction: "\\frac{3}{4}" })).toEqual({
      status: "ok",
      score: 1,
      correct: true,
      decidedBy: "rule",
      rule: "numeric",
    });
    expect(await judge.judge({ question: "q", groundTruth: "B", prediction: "Answer: C" })).toMatchObject({
      correct: false,
      decidedBy: "rule",
      rule: "multiple-choice",
    });
    const options = { question: "Capital of France?", groundTruth: "B", prediction: "Paris" };
    expect(await judge.judge({ ...options, choices: ["Rome", "Paris"] })).toMatchObject({ correct: true });
  });

  it("counts an undecided answer incorrect by normalized-exact and says why", async () => {
    const verdict = await judge.judge({
      question: "q",
      groundTruth: "Paris",
      prediction: "the city of Paris",
    });
    expect(verdict).toMatchObject({
      status: "ok",
      score: 0,
      correct: false,
      decidedBy: "rule",
      rule: "normalized-exact",
    });
    expect(verdict.cause).toContain("no LLM judge is configured");
  });

  it("with rules off, still accepts a normalized exact match", async () => {
    const exactOnly = createJudge({ rules: false });
    expect(
      await exactOnly.judge({ question: "q", groundTruth: "Paris", prediction: " \\boxed{paris}" }),
    ).toMatchObject({
      correct: true,
      rule: "normalized-exact",
    });
    expect(await exactOnly.judge({ question: "q", groundTruth: "0.5", prediction: "1/2" })).toMatchObject({
      correct: false,
      rule: "normalized-exact",
    });
  });

  it("scores empty inputs 0 like the reference, and ignores empty items of a list", async () => {
    expect(await judge.judge({ question: "q", groundTruth: "4", prediction: "" })).toMatchObject({
      correct: false,
      rule: "empty-input",
    });
    expect(await judge.judge({ question: "q", groundTruth: [], prediction: "4" })).toMatchObject({
      rule: "empty-input",
    });
    expect(await judge.judge({ question: "q", groundTruth: ["", "4"], prediction: "4" })).toMatchObject({
      correct: true,
    });
  });

  it("rejects malformed input with JudgeError", async () => {
    const bad = { question: "q", groundTruth: [4] as unknown as string[], prediction: "4" };
    await expect(judge.judge(bad)).rejects.toThrow(JudgeError);
    await expect(
      judge.judge({ question: "q", groundTruth: "B", prediction: "B", choices: "AB" as unknown as string[] }),
    ).rejects.toThrow(/choices/);
    expect(() => createJudge({ errorPolicy: "skip" as "exclude" })).toThrow(/errorPolicy/);
  });
});

describe("createJudge with an LLM", () => {
  it("asks the LLM only what the rules cannot decide", async () => {
    const llm = await llmReplying(() => "CORRECT");
    const judge = createJudge({ llm });
    expect((await judge.judge({ question: "q", groundTruth: "12", prediction: "12 cm" })).decidedBy).toBe(
      "rule",
    );
    expect((await judge.judge({ question: "q", groundTruth: "12", prediction: "13" })).decidedBy).toBe(
      "rule",
    );
    expect(server!.requests).toHaveLength(0);
    const verdict = await judge.judge({ question: "How many?", groundTruth: "12", prediction: "a dozen" });
    expect(verdict).toEqual({ status: "ok", score: 1, correct: true, decidedBy: "llm" });
    expect(server!.requests).toHaveLength(1);
    expect(judge.metrics()).toMatchObject({
      judgements: 3,
      decidedBy: { rule: 2, llm: 1, none: 0 },
      calls: 1,
    });
  });

  it("sends every answer to the LLM with rules off", async () => {
    const llm = await llmReplying(() => "INCORRECT");
    const verdict = await createJudge({ llm, rules: false }).judge({
      question: "q",
      groundTruth: "12",
      prediction: "12",
    });
    expect(verdict).toMatchObject({ decidedBy: "llm", correct: false });
  });

  it("judges only the undecided items of a list, and stops at the first CORRECT", async () => {
    const llm = await llmReplying((truth) => (truth === "a dozen" ? "CORRECT" : "INCORRECT"));
    const judge = createJudge({ llm });
    // "13" is decided by the numeric rule (mismatch) and never sent.
    const input = {
      question: "q",
      groundTruth: ["13", "twelve", "a dozen", "zwölf"],
      prediction: "12 items",
    };
    expect(await judge.judge(input)).toMatchObject({ status: "ok", correct: true, decidedBy: "llm" });
    const sent = server!.requests.map(
      (request) => /^Ground truth: (.*)$/m.exec(request.body.messages[1]!.content)![1],
    );
    expect(sent).toEqual(["twelve", "a dozen"]);
  });

  it("returns the error when an item fails and none is correct; the policy decides what it counts as", async () => {
    const llm = await llmReplying((truth) => (truth === "twelve" ? "500" : "INCORRECT"));
    const input = { question: "q", groundTruth: ["twelve", "a dozen"], prediction: "12 items" };
    const verdict = await createJudge({ llm }).judge(input);
    expect(verdict).toMatchObject({ status: "error", decidedBy: "none" });
    expect(verdict.cause).toMatch(/^http-500/);
    expect(await createJudge({ llm }).score(input)).toMatchObject({ include: false, score: 0 });
    expect(await createJudge({ llm, errorPolicy: "incorrect" }).score(input)).toMatchObject({
      include: true,
      score: 0,
    });
    await expect(createJudge({ llm, errorPolicy: "fail" }).score(input)).rejects.toThrow(JudgeError);
    expect(llm.metrics().errors).toEqual({ "http-500": 4 });
  });

  it("scores an empty question 0 without a call when the LLM would be needed", async () => {
    const llm = await llmReplying(() => "CORRECT");
    const verdict = await createJudge({ llm }).judge({
      question: "",
      groundTruth: "12",
      prediction: "a dozen",
    });
    expect(verdict).toMatchObject({ correct: false, rule: "empty-input" });
    expect(server!.requests).toHaveLength(0);
  });
});
