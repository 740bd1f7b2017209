import { InfrastructureError } from "@hdpo/agent-loop";
import type { Task, Trajectory } from "@hdpo/core";
import { applyErrorPolicy, isJudgeOutage, type Judge } from "@hdpo/judge";
import { formatReward } from "@hdpo/rewards";

/** The judge's and the format rule's view of one rollout. */
export interface RolloutScore {
  /** False for a rollout left out of the update: an agent-loop error, no token record, or a failed judgement. */
  included: boolean;
  answerScore: number;
  formatScore: number;
  correct: boolean;
  /** Why it was left out, when it was. */
  excludedBecause?: "error" | "no-tokens" | "judge-error";
}

/**
 * Scores every rollout with the judge (on the extracted answer) and the reference's format rule (on the whole
 * response, observations included). A rollout that errored is scored 0 and excluded from the update: a crash
 * says nothing about the policy's choices, and counting it as wrong would push its group's advantages around.
 * A judge that cannot be asked at all (down, 5xx) is not a failed judgement to apply the error policy to: nothing
 * may be trained or reported on it, so it rejects.
 * @throws InfrastructureError (service "judge") when the judge is down; JudgeError under the "fail" error policy.
 */
export async function scoreRollouts(
  trajectories: readonly Trajectory[],
  tasksById: ReadonlyMap<string, Task>,
  judge: Judge,
): Promise<RolloutScore[]> {
  return Promise.all(
    trajectories.map(async (trajectory): Promise<RolloutScore> => {
      if (trajectory.finishReason === "error") {
        return { included: false, answerScore: 0, formatScore: 0, correct: false, excludedBecause: "error" };
      }
      const formatScore = formatReward(trajectory.finalText);
      const task = tasksById.get(trajectory.taskId)!;
      const verdict = await judge.judge({
        question: task.question,
        groundTruth: task.answer,
        prediction: trajectory.answer ?? "",
        ...(task.choices !== undefined ? { choices: task.choices } : {}),
      });
      if (isJudgeOutage(verdict)) {
        throw new InfrastructureError(
          "judge",
          `the judge failed: ${verdict.cause}; check that the LLM judge (judge.baseUrl) is running.`,
        );
      }
      const scored = applyErrorPolicy(verdict, judge.errorPolicy);
      const answerScore = scored.score;
      const base = { answerScore, formatScore, correct: answerScore > 0 };
      if (!scored.include) return { ...base, included: false, excludedBecause: "judge-error" };
      if (trajectory.tokens === undefined) return { ...base, included: false, excludedBecause: "no-tokens" };
      return { ...base, included: true };
    }),
  );
}
