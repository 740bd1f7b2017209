import type { Prediction } from "./prediction";

/**
 * A finished item for tests of code that reads predictions (summaries, reports, logs): a correct rule-judged answer
 * without tool calls, with timings and token counts; `fields` replace any of it.
 */
export function examplePrediction(id: string, fields: Partial<Prediction> = {}): Prediction {
  return {
    id,
    question: "q",
    groundTruth: "a",
    prediction: "a",
    response: "",
    verdict: { status: "ok", score: 1, correct: true, decidedBy: "rule", rule: "normalized-exact" },
    included: true,
    score: 1,
    toolCalls: 0,
    toolCallsByName: {},
    invalidToolCalls: 0,
    finishReason: "answer",
    timings: { totalMs: 100, modelMs: 60, toolMs: 20, judgeMs: 5 },
    tokens: { prompt: 10, completion: 5, observation: 2 },
    finishedAt: "2026-01-01T00:00:00.000Z",
    ...fields,
  };
}
