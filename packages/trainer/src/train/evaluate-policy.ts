import type { InfrastructureStop, TrajectoryOptions } from "@hdpo/agent-loop";
import type { Learner, Policy, Task, ToolExecutor } from "@hdpo/core";
import { evaluate, summarize } from "@hdpo/evaluation";
import type { Judge } from "@hdpo/judge";
import type { ByteLevelBpeTokenizer } from "@hdpo/policy";
import { chatEncoding } from "../chat-encoding";
import { learnerSamplerPolicy, type PolicySource } from "../policy-source";
import { TurnSeededPolicy } from "../turn-seeded-policy";
import { type EvalResult, evalResult } from "./eval-result";
import { type EvalRollout, evalRollouts, type IndexedRollout } from "./eval-rollouts";

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
  /** Tasks in a row that one service (tool server, judge) may fail before the evaluation stops. */
  maxInfraFailures: number;
}

/** An evaluation's numbers and what the policy did on each task. */
export interface PolicyEvaluation {
  result: EvalResult;
  rollouts: EvalRollout[];
  /** Set when a service failed `maxInfraFailures` tasks in a row: the evaluation stopped and says nothing. */
  infrastructureStop?: InfrastructureStop;
}

/**
 * One rollout per test task with the learner's current policy (its sampler, or `source`'s) and the real tools, judged by the rules: accuracy, tool-use
 * rate on tool-unnecessary and tool-required tasks, mean T. See {@link evaluateWithPolicy}.
 */
export async function evaluatePolicy(
  learner: Learner,
  tokenizer: ByteLevelBpeTokenizer,
  setup: EvaluationSetup,
  source: PolicySource = learnerSamplerPolicy,
): Promise<PolicyEvaluation> {
  const encoding = chatEncoding(tokenizer);
  const policy = new TurnSeededPolicy(await source(learner, tokenizer, "hdpo-eval"), setup.seed);
  return evaluateWithPolicy(policy, setup, {
    countTokens: encoding.countTokens,
    encodePrompt: encoding.encodePrompt,
    encodeObservation: encoding.encodeObservation,
  });
}

/** How a policy's text becomes tokens (the in-process policy's tokenizer); approximate counts without it. */
export type EvaluationEncoding = Pick<
  TrajectoryOptions,
  "countTokens" | "encodePrompt" | "encodeObservation"
>;

/**
 * One rollout per test task with `policy`, by @hdpo/evaluation's engine (hdpo-eval's). Each task's trajectory id is
 * `eval-<seed>-<task id>`: with a TurnSeededPolicy the samples depend on the seed and the task alone, not on which
 * rollout reached the policy first. A rollout that errors is counted, never fatal. A task a failing service (the
 * tool server, the LLM judge) kept from being scored is left out of every number and counted in `notScored`; once
 * one service has failed `maxInfraFailures` tasks in a row, the tasks in flight are abandoned and
 * `infrastructureStop` says why.
 */
export async function evaluateWithPolicy(
  policy: Policy,
  setup: EvaluationSetup,
  encoding: EvaluationEncoding = {},
): Promise<PolicyEvaluation> {
  const began = performance.now();
  const rolled: IndexedRollout[] = [];
  const run = await evaluate({
    tasks: setup.tasks,
    policy,
    tools: setup.tools,
    judge: setup.judge,
    rollout: (task) => ({
      sampling: { temperature: setup.temperature, topP: 1 },
      maxTurns: setup.maxTurns,
      maxResponseTokens: setup.maxResponseTokens,
      maxActionTokens: setup.maxResponseTokens,
      maxObservationTokens: setup.maxObservationTokens,
      ...encoding,
      systemPrompt: setup.systemPrompt,
      groupId: task.id,
      rolloutIndex: 0,
      trajectoryId: `eval-${setup.seed}-${task.id}`,
    }),
    concurrency: setup.concurrency,
    maxInfraFailures: setup.maxInfraFailures,
    judgeOutage: { hint: "check that the LLM judge (judge.baseUrl) is running." },
    onEvent: (event) => {
      const { index } = event as { index: number };
      if (event.type === "scored")
        rolled.push({ index, trajectory: event.trajectory, prediction: event.prediction });
      else if (event.type === "failed") rolled.push({ index, trajectory: event.trajectory });
    },
  });
  const summary = summarize(run.predictions, {
    errorPolicy: setup.judge.errorPolicy,
    planned: setup.tasks.length,
    complete: run.predictions.length === setup.tasks.length,
    notScored: run.notScored,
  });
  rolled.sort((a, b) => a.index - b.index);
  return {
    result: evalResult(summary, run.failed, performance.now() - began),
    rollouts: evalRollouts(rolled, setup.tasks),
    ...(run.infrastructureStop === undefined ? {} : { infrastructureStop: run.infrastructureStop }),
  };
}
