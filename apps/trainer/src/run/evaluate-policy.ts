import { setMaxListeners } from "node:events";
import {
  ABORTED_CAUSE,
  InfrastructureError,
  InfrastructureFailures,
  type InfrastructureService,
  type InfrastructureStop,
  mapWithConcurrency,
  runTrajectory,
  type TrajectoryOptions,
} from "@hdpo/agent-loop";
import type { Policy, Task, ToolExecutor, Trajectory } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import { type ByteLevelBpeTokenizer, type DecoderModel, LocalPolicy } from "@hdpo/policy";
import {
  chatEncoding,
  type RolloutScore,
  rolloutMetrics,
  scoreRollouts,
  TurnSeededPolicy,
} from "@hdpo/trainer";
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

/** One task's outcome: scored, or not scored because a service failed (or the evaluation stopped). */
type Outcome = { trajectory: Trajectory; score: RolloutScore } | undefined;

/**
 * One rollout per test task with the in-process policy and the real tools, judged by the rules: accuracy, tool-use
 * rate on tool-unnecessary and tool-required tasks, mean T. See {@link evaluateWithPolicy}.
 */
export async function evaluatePolicy(
  model: DecoderModel,
  tokenizer: ByteLevelBpeTokenizer,
  setup: EvaluationSetup,
): Promise<PolicyEvaluation> {
  const encoding = chatEncoding(tokenizer);
  const policy = new TurnSeededPolicy(new LocalPolicy({ model, tokenizer, name: "hdpo-eval" }), setup.seed);
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
 * One rollout per test task with `policy`. A rollout that errors is counted, never fatal. A task a failing service
 * (the tool server, the LLM judge) kept from being scored is left out of every number and counted in `notScored`;
 * once one service has failed `maxInfraFailures` tasks in a row, the tasks in flight are abandoned and
 * `infrastructureStop` says why.
 */
export async function evaluateWithPolicy(
  policy: Policy,
  setup: EvaluationSetup,
  encoding: EvaluationEncoding = {},
): Promise<PolicyEvaluation> {
  const began = performance.now();
  const tasksById = new Map(setup.tasks.map((task) => [task.id, task]));
  const infrastructure = new InfrastructureFailures(setup.maxInfraFailures);
  const stop = new AbortController();
  setMaxListeners(setup.concurrency * 4 + 16, stop.signal);
  const outcomes = await mapWithConcurrency(
    setup.tasks,
    setup.concurrency,
    async (task): Promise<Outcome> => {
      if (stop.signal.aborted) return undefined;
      try {
        const trajectory = await runTrajectory(task, {
          policy,
          tools: setup.tools,
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
          signal: stop.signal,
        });
        if (stop.signal.aborted && trajectory.error === ABORTED_CAUSE) return undefined;
        const used: InfrastructureService[] = trajectory.toolCalls > 0 ? ["tool-server"] : [];
        infrastructure.succeeded(used);
        const [score] = await scoreRollouts([trajectory], tasksById, setup.judge);
        infrastructure.succeeded(["judge"]);
        return { trajectory, score: score! };
      } catch (error) {
        if (!(error instanceof InfrastructureError)) throw error;
        if (infrastructure.failed(error)) stop.abort();
        return undefined;
      }
    },
  );
  const scored = outcomes.filter((outcome) => outcome !== undefined);
  const trajectories = scored.map((outcome) => outcome.trajectory);
  const scores = scored.map((outcome) => outcome.score);
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
    notScored: infrastructure.counts(),
    wallMs: performance.now() - began,
  };
  return {
    result,
    rollouts: evalRollouts(trajectories, scores, tasksById),
    ...(infrastructure.stop === undefined ? {} : { infrastructureStop: infrastructure.stop }),
  };
}
