import type { Task, ToolNecessity, Trajectory } from "@hdpo/core";
import type { Prediction } from "@hdpo/evaluation";

/** One evaluation rollout as a line of `DIR/eval/<policy>.jsonl`: the task, the verdict and every turn. */
export interface EvalRollout {
  taskId: string;
  /** The task family's template (e.g. `product`, `town-founded`), when the suite recorded one. */
  template: string | null;
  toolNecessity: ToolNecessity;
  question: string;
  goldAnswer: Task["answer"];
  /** The first `<answer>…</answer>`, or null when the response has none. */
  answer: string | null;
  correct: boolean;
  toolCalls: number;
  finishReason: Trajectory["finishReason"];
  error: string | null;
  /** What the model wrote and what the tools answered, in order (`assistant` / `observation`). */
  turns: { role: "assistant" | "observation"; text: string }[];
}

/** A rollout of the task at `index`: scored (with its prediction), or failed (none). */
export interface IndexedRollout {
  index: number;
  trajectory: Trajectory;
  prediction?: Prediction;
}

/**
 * The per-task record of an evaluation, so that a reader can see why a policy is right or wrong (a tool call with a
 * mistyped number, an answer that does not copy the tool's output) and not only the rates.
 */
export function evalRollouts(rollouts: readonly IndexedRollout[], tasks: readonly Task[]): EvalRollout[] {
  return rollouts.map(({ index, trajectory, prediction }) => {
    const task = tasks[index];
    const template = task?.extraInfo?.template;
    return {
      taskId: trajectory.taskId,
      template: typeof template === "string" ? template : null,
      toolNecessity: task?.toolNecessity ?? "unknown",
      question: task?.question ?? "",
      goldAnswer: task?.answer ?? "",
      answer: trajectory.answer ?? null,
      correct: (prediction?.score ?? 0) > 0,
      toolCalls: trajectory.toolCalls,
      finishReason: trajectory.finishReason,
      error: trajectory.error ?? null,
      turns: trajectory.turns.map((turn) => ({ role: turn.role, text: turn.text })),
    };
  });
}
