import { rollout } from "@hdpo/agent-loop";
import type { Task, ToolExecutor } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import { type ByteLevelBpeTokenizer, type DecoderModel, LocalPolicy } from "@hdpo/policy";
import { chatEncoding, rolloutMetrics, scoreRollouts, TurnSeededPolicy } from "@hdpo/trainer";
import type { EvalResult } from "./eval-result";
import { type EvalRollout, evalRollouts } from "./eval-rollouts";

/** What an evaluation needs besides the policy. */
export interface EvaluationSetup {
  tasks: readonly Task[];
  tools: ToolExecutor;
  judge: Judge;
  systemPrompt: string;
  seed: number;
  temperature: number;
  maxTurns: number;
  maxResponseTokens: number;
  maxObservationTokens: number;
  concurrency: number;
}

/** An evaluation's numbers and what the policy did on each task. */
export interface PolicyEvaluation {
  result: EvalResult;
  rollouts: EvalRollout[];
}

/**
 * One rollout per test task with the in-process policy and the real tools, judged by the rules: accuracy, tool-use
 * rate on tool-unnecessary and tool-required tasks, mean T. A rollout that errors is counted, never fatal.
 */
export async function evaluatePolicy(
  model: DecoderModel,
  tokenizer: ByteLevelBpeTokenizer,
  setup: EvaluationSetup,
): Promise<PolicyEvaluation> {
  const began = performance.now();
  const encoding = chatEncoding(tokenizer);
  const policy = new TurnSeededPolicy(new LocalPolicy({ model, tokenizer, name: "hdpo-eval" }), setup.seed);
  const trajectories = await rollout(setup.tasks, {
    policy,
    tools: setup.tools,
    groupSize: 1,
    concurrency: setup.concurrency,
    sampling: { temperature: setup.temperature, topP: 1 },
    maxTurns: setup.maxTurns,
    maxResponseTokens: setup.maxResponseTokens,
    maxActionTokens: setup.maxResponseTokens,
    maxObservationTokens: setup.maxObservationTokens,
    countTokens: encoding.countTokens,
    encodePrompt: encoding.encodePrompt,
    encodeObservation: encoding.encodeObservation,
    systemPrompt: setup.systemPrompt,
    makeTrajectoryId: (taskId) => `eval-${setup.seed}-${taskId}`,
  });
  const tasksById = new Map(setup.tasks.map((task) => [task.id, task]));
  const scores = await scoreRollouts(trajectories, tasksById, setup.judge);
  const metrics = rolloutMetrics(trajectories, scores, tasksById);
  const { required, unnecessary } = metrics.byNecessity;
  const result: EvalResult = {
    accuracy: metrics.overall.accuracy,
    toolRateUnnecessary: unnecessary.toolUseRate,
    toolRateNecessary: required.toolUseRate,
    toolRate: metrics.overall.toolUseRate,
    meanToolCalls: metrics.overall.meanToolCalls,
    accuracyUnnecessary: unnecessary.accuracy,
    accuracyNecessary: required.accuracy,
    n: metrics.overall.rollouts,
    nUnnecessary: unnecessary.rollouts,
    nNecessary: required.rollouts,
    errors: metrics.errors,
    firstError: trajectories.find((t) => t.finishReason === "error")?.error ?? null,
    wallMs: performance.now() - began,
  };
  return { result, rollouts: evalRollouts(trajectories, scores, tasksById) };
}
