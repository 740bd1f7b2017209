import type { Task } from "@hdpo/core";
import { createJudge, type Judge } from "@hdpo/judge";

/** Whether a prediction answers the task: `correct`, or `error` when the judge could not decide. */
export type AnswerCheck = { correct: boolean } | { error: string };

/** A judge for answers: the given one, or the rule verifiers alone (no LLM; undecided answers are wrong). */
export function answerJudge(judge?: Judge): Judge {
  return judge ?? createJudge();
}

export async function checkAnswer(
  judge: Judge,
  task: Task,
  prediction: string | undefined,
): Promise<AnswerCheck> {
  if (prediction === undefined || prediction.trim() === "") return { correct: false };
  const verdict = await judge.judge({
    question: task.question,
    groundTruth: task.answer,
    prediction,
    ...(task.choices === undefined ? {} : { choices: task.choices }),
  });
  if (verdict.status === "error") return { error: verdict.cause ?? "the answer judge failed" };
  return { correct: verdict.correct };
}
