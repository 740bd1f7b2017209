import {
  ABORTED_CAUSE,
  InfrastructureError,
  type InfrastructureService,
  runTrajectory,
} from "@hdpo/agent-loop";
import type { Policy, Task, ToolExecutor, Trajectory } from "@hdpo/core";
import { applyErrorPolicy, isJudgeOutage } from "@hdpo/judge";
import type { EvaluationJudge, JudgeOutageWording, RolloutSettings } from "./evaluation-options";
import type { Prediction } from "./prediction";
import { predictionOf } from "./prediction-of";

/** What one item needs besides its task. */
export interface ItemContext {
  policy: Policy;
  tools: ToolExecutor;
  judge: EvaluationJudge;
  judgeOutage: JudgeOutageWording;
  /** Aborted when the run abandons running items (a second Ctrl-C, or a service that keeps failing). */
  signal: AbortSignal;
  /** The caller's abort alone: an item judged after it fired is not reported. */
  abort: AbortSignal | undefined;
}

/**
 * How one item ended. `used` are the services it relied on, which therefore worked (they reset their failure
 * streaks); an outage of the rollout itself names none.
 */
export type ItemOutcome =
  | { kind: "scored"; used: InfrastructureService[]; trajectory: Trajectory; prediction: Prediction }
  | { kind: "failed"; used: InfrastructureService[]; trajectory: Trajectory; error: string }
  | { kind: "unscored"; used: InfrastructureService[]; error: InfrastructureError }
  | { kind: "abandoned"; used: InfrastructureService[] };

/**
 * Rolls `task` out with the policy and the tools, then has the judge score the answer. An outage of the tool server,
 * the model endpoint or the judge is never a wrong answer: it comes back "unscored". A rollout the policy or loop
 * failed ("error" finish) is "failed": neither says anything about the model's answers.
 * @throws JudgeError when the judgement failed under the "fail" error policy; whatever the loop throws that is not
 *   an outage.
 */
export async function evaluateItem(
  task: Task,
  settings: RolloutSettings,
  context: ItemContext,
): Promise<ItemOutcome> {
  const started = performance.now();
  let trajectory: Trajectory;
  try {
    trajectory = await runTrajectory(task, {
      ...settings,
      policy: context.policy,
      tools: context.tools,
      signal: context.signal,
    });
  } catch (error) {
    if (error instanceof InfrastructureError) return { kind: "unscored", used: [], error };
    throw error;
  }
  // An abandoned item is not an answer: it is left for the next run, never reported half-done.
  if (context.signal.aborted && trajectory.error === ABORTED_CAUSE) return { kind: "abandoned", used: [] };
  const used: InfrastructureService[] = trajectory.toolCalls > 0 ? ["model", "tool-server"] : ["model"];
  if (trajectory.finishReason === "error") {
    return { kind: "failed", used, trajectory, error: trajectory.error ?? "unknown error" };
  }
  const judgeStarted = performance.now();
  const verdict = await context.judge.judge({
    question: task.question,
    groundTruth: task.answer,
    prediction: trajectory.answer ?? "",
    ...(task.choices === undefined ? {} : { choices: task.choices }),
  });
  // A judge that cannot be asked says nothing about the answer, whatever the error policy says of judge errors.
  if (isJudgeOutage(verdict)) {
    const { endpoint, hint } = context.judgeOutage;
    const error = new InfrastructureError(
      "judge",
      `the judge${endpoint === undefined ? "" : ` at ${endpoint}`} failed: ${verdict.cause}; ${hint ?? "check that it is running."}`,
      endpoint === undefined ? {} : { endpoint },
    );
    return { kind: "unscored", used, error };
  }
  const scored = applyErrorPolicy(verdict, context.judge.errorPolicy);
  // Only a verdict the LLM gave shows that the judge's endpoint works; the rules ask no one.
  if (verdict.decidedBy === "llm") used.push("judge");
  const judgeMs = performance.now() - judgeStarted;
  if (context.abort?.aborted) return { kind: "abandoned", used };
  const prediction = predictionOf(task, trajectory, {
    verdict,
    included: scored.include,
    score: scored.score,
    totalMs: performance.now() - started,
    judgeMs,
  });
  return { kind: "scored", used, trajectory, prediction };
}
