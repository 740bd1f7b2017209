import type { Task, Trajectory, Verdict } from "@hdpo/core";
import type { Prediction } from "./prediction";

/** The judgement of one item and what the item cost beyond its rollout. */
export interface ItemJudgement {
  verdict: Verdict;
  /** Whether the item counts toward accuracy under the judge error policy, and with what score. */
  included: boolean;
  score: number;
  /** Rollout and judgement together. */
  totalMs: number;
  judgeMs: number;
}

/** The record of one scored item: the task, what the model answered, how it was judged and what it cost. */
export function predictionOf(task: Task, trajectory: Trajectory, judgement: ItemJudgement): Prediction {
  return {
    id: task.id,
    ...(task.category === undefined ? {} : { category: task.category }),
    ...(task.toolNecessity === undefined ? {} : { toolNecessity: task.toolNecessity }),
    question: task.question,
    groundTruth: task.answer,
    prediction: trajectory.answer ?? "",
    response: trajectory.finalText,
    verdict: judgement.verdict,
    included: judgement.included,
    score: judgement.score,
    toolCalls: trajectory.toolCalls,
    toolCallsByName: trajectory.toolCallsByName,
    invalidToolCalls: trajectory.invalidToolCalls,
    finishReason: trajectory.finishReason,
    ...(trajectory.error === undefined ? {} : { error: trajectory.error }),
    timings: {
      totalMs: judgement.totalMs,
      modelMs: trajectory.timings.generationMs,
      toolMs: trajectory.timings.toolMs,
      judgeMs: judgement.judgeMs,
    },
    ...(trajectory.usage === undefined
      ? {}
      : {
          tokens: {
            prompt: trajectory.usage.promptTokens,
            completion: trajectory.usage.completionTokens,
            observation: trajectory.usage.observationTokens,
          },
        }),
    finishedAt: new Date().toISOString(),
  };
}
