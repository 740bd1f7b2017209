import type { Task, ToolNecessity, Trajectory } from "@hdpo/core";
import type { RolloutScore } from "./score-rollouts";

/** Tool-use and accuracy over one slice of the step's rollouts; null where the slice is empty. */
export interface SliceMetrics {
  rollouts: number;
  accuracy: number | null;
  toolUseRate: number | null;
  meanToolCalls: number | null;
}

/**
 * The rollout-side metrics of a step, split by the tasks' tool-necessity labels. Taken over every rollout that
 * finished (errored rollouts are counted in `errors` and left out, as they are left out of the update).
 */
export function rolloutMetrics(
  trajectories: readonly Trajectory[],
  scores: readonly RolloutScore[],
  tasksById: ReadonlyMap<string, Task>,
): {
  overall: SliceMetrics;
  byNecessity: Record<ToolNecessity, SliceMetrics>;
  errors: number;
  meanResponseTokens: number;
} {
  const slices: Record<
    "overall" | ToolNecessity,
    { n: number; correct: number; used: number; calls: number }
  > = {
    overall: { n: 0, correct: 0, used: 0, calls: 0 },
    required: { n: 0, correct: 0, used: 0, calls: 0 },
    unnecessary: { n: 0, correct: 0, used: 0, calls: 0 },
    unknown: { n: 0, correct: 0, used: 0, calls: 0 },
  };
  let errors = 0;
  let responseTokens = 0;
  trajectories.forEach((trajectory, i) => {
    const score = scores[i]!;
    if (trajectory.finishReason === "error") {
      errors++;
      return;
    }
    responseTokens += trajectory.tokens?.ids.length ?? 0;
    const necessity = tasksById.get(trajectory.taskId)?.toolNecessity ?? "unknown";
    for (const key of ["overall", necessity] as const) {
      const slice = slices[key];
      slice.n++;
      slice.correct += score.correct ? 1 : 0;
      slice.used += trajectory.toolCalls > 0 ? 1 : 0;
      slice.calls += trajectory.toolCalls;
    }
  });
  const finish = (s: { n: number; correct: number; used: number; calls: number }): SliceMetrics => ({
    rollouts: s.n,
    accuracy: s.n === 0 ? null : s.correct / s.n,
    toolUseRate: s.n === 0 ? null : s.used / s.n,
    meanToolCalls: s.n === 0 ? null : s.calls / s.n,
  });
  const finished = trajectories.length - errors;
  return {
    overall: finish(slices.overall),
    byNecessity: {
      required: finish(slices.required),
      unnecessary: finish(slices.unnecessary),
      unknown: finish(slices.unknown),
    },
    errors,
    meanResponseTokens: finished === 0 ? 0 : responseTokens / finished,
  };
}
