import { createTestOpenAIServer } from "@hdpo/agent-loop/testing";
import type { Task, Trajectory } from "@hdpo/core";
import { createJudge, LlmJudge } from "@hdpo/judge";
import { describe, expect, it } from "vitest";
import { scoreRollouts } from "./score-rollouts";

const task: Task = { id: "t", question: "Which city?", answer: "Paris" };
const tasksById = new Map([[task.id, task]]);
/** A finished rollout whose answer no rule can match to "Paris": only an LLM judge can decide it. */
const rollout: Trajectory = {
  id: "r",
  taskId: "t",
  groupId: "t",
  rolloutIndex: 0,
  turns: [{ role: "assistant", text: "<answer>the city of Paris</answer>", finishReason: "stop" }],
  finalText: "<answer>the city of Paris</answer>",
  answer: "the city of Paris",
  toolCalls: 0,
  toolCallsByName: {},
  invalidToolCalls: 0,
  finishReason: "answer",
  timings: { startedAt: new Date(0).toISOString(), totalMs: 0, generationMs: 0, toolMs: 0 },
};

function judgeAt(baseURL: string) {
  return createJudge({
    llm: new LlmJudge({ baseURL, model: "judge", retryDelayMs: 1, maxAttempts: 1 }),
    errorPolicy: "incorrect",
  });
}

describe("scoreRollouts with an LLM judge (real HTTP)", () => {
  it("a judge that is down rejects with InfrastructureError: never a score of 0 to train on", async () => {
    const gone = createTestOpenAIServer({ models: ["judge"] });
    const url = await gone.listen();
    await gone.close();
    await expect(scoreRollouts([rollout], tasksById, judgeAt(url))).rejects.toMatchObject({
      name: "InfrastructureError",
      service: "judge",
      message: expect.stringMatching(/^the judge failed: connection: /),
    });
  });

  it("a judge that answers gives its verdict; an unparseable reply stays under the error policy", async () => {
    const judge = createTestOpenAIServer({ models: ["judge"], defaultReply: { text: "CORRECT" } });
    const url = await judge.listen();
    try {
      const [scored] = await scoreRollouts([rollout], tasksById, judgeAt(url));
      expect(scored).toMatchObject({ correct: true, answerScore: 1 });
      judge.enqueueReplies({ text: "MAYBE" });
      const [unparsed] = await scoreRollouts([rollout], tasksById, judgeAt(url));
      // "incorrect": the judgement failed for this answer, which the policy scores 0
      expect(unparsed).toMatchObject({ correct: false, answerScore: 0 });
    } finally {
      await judge.close();
    }
  });
});
