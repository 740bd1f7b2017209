import { createTestOpenAIServer } from "@hdpo/agent-loop/testing";
import { describe, expect, it } from "vitest";
import { parseRunConfig } from "./run-config";
import { createRunJudge } from "./run-judge";

describe("createRunJudge", () => {
  it("decides by the rules alone by default, with the suite's numeric tolerance", async () => {
    const judge = createRunJudge(parseRunConfig({}));
    expect(judge.errorPolicy).toBe("exclude");
    expect(await judge.judge({ question: "6 × 7?", groundTruth: "42", prediction: "42.0" })).toMatchObject({
      correct: true,
      decidedBy: "rule",
    });
    const undecided = await judge.judge({
      question: "Capital?",
      groundTruth: "Paris",
      prediction: "the city of Paris",
    });
    expect(undecided.decidedBy).not.toBe("llm");
    expect(judge.metrics().decidedBy.llm).toBe(0);
  });

  it("sends what the rules cannot decide to the LLM judge at judge.baseUrl, with judge.model", async () => {
    const server = createTestOpenAIServer({
      // judge.model picks the second model listed; without it the judge would take the first.
      models: ["other-model", "judge-model"],
      defaultReply: (body) => ({
        text: JSON.stringify(body.messages).includes("Prediction: the city of Paris")
          ? "CORRECT"
          : "INCORRECT",
      }),
    });
    const baseUrl = await server.listen();
    try {
      const judge = createRunJudge(
        parseRunConfig({ judge: { baseUrl, model: "judge-model", errorPolicy: "incorrect" } }),
      );
      expect(judge.errorPolicy).toBe("incorrect");
      const ruled = await judge.judge({ question: "6 × 7?", groundTruth: "42", prediction: "42" });
      expect(ruled).toMatchObject({ correct: true, decidedBy: "rule" });
      expect(server.requests.filter((r) => r.path === "/chat/completions")).toHaveLength(0);
      const llm = await judge.judge({
        question: "Capital?",
        groundTruth: "Paris",
        prediction: "the city of Paris",
      });
      expect(llm).toMatchObject({ correct: true, decidedBy: "llm" });
      const wrong = await judge.judge({
        question: "Capital?",
        groundTruth: "Paris",
        prediction: "the city of Lyon",
      });
      expect(wrong).toMatchObject({ correct: false, decidedBy: "llm" });
      const chats = server.requests.filter((r) => r.path === "/chat/completions");
      expect(chats).toHaveLength(2);
      expect(chats[0]!.body!.model).toBe("judge-model");
    } finally {
      await server.close();
    }
  });
});
