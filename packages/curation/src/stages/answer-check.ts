import { InfrastructureError } from "@hdpo/agent-loop";
import type { Task } from "@hdpo/core";
import { createJudge, isJudgeOutage, type Judge } from "@hdpo/judge";

/** Whether a prediction answers the task: `correct`, or `error` when the judge could not decide. */
export type AnswerCheck = { correct: boolean } | { error: string };

/** A judge for answers: the given one, or the rule verifiers alone (no LLM; undecided answers are wrong). */
export function answerJudge(judge?: Judge): Judge {
  return judge ?? createJudge();
}

/**
 * Judges one prediction. A judgement that went wrong for this answer (an unparseable reply) is an `error`.
 * @throws InfrastructureError when the judge could not be asked at all (down, 5xx): no verdict, and not the row's fault.
 */
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
  if (isJudgeOutage(verdict)) {
    throw new InfrastructureError(
      "judge",
      `the answer judge failed: ${verdict.cause}; check that the judge at --judge-base-url is running.`,
    );
  }
  if (verdict.status === "error") return { error: verdict.cause ?? "the answer judge failed" };
  return { correct: verdict.correct };
}
