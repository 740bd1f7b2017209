import { rollout } from "@hdpo/agent-loop";
import type { Learner, Task, ToolExecutor, ToolNecessity, Trajectory } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import { type ByteLevelBpeTokenizer, deriveSeed } from "@hdpo/policy";
import { chatEncoding } from "./chat-encoding";
import { groupsWithoutSignal, toolTermScope } from "./groups-without-signal";
import { learnerSamplerPolicy, type PolicySource } from "./policy-source";
import { type PolicySample, ppoUpdate, type UpdateMetrics } from "./ppo-update";
import { rolloutMetrics, type SliceMetrics } from "./rl-metrics";
import { rolloutAdvantages } from "./rollout-advantages";
import { samplePrompts } from "./sample-prompts";
import { type RolloutScore, scoreRollouts } from "./score-rollouts";
import { checkRlSettings, type RlSettings } from "./trainer-config";
import { TrainerError } from "./trainer-error";
import { TurnSeededPolicy } from "./turn-seeded-policy";

/** Everything one RL step works on. The caller owns it (and its step counter, for resuming). */
export interface RlState {
  /** Where the update happens and the rollouts are sampled from (its optimizer state carries over between steps). */
  learner: Learner;
  /** The policy's tokenizer: it renders the chats the learner's sampler continues. */
  tokenizer: ByteLevelBpeTokenizer;
  /** The tools (e.g. `new InProcessToolExecutor(runtime)` or a `RemoteToolExecutor`). */
  tools: ToolExecutor;
  judge: Judge;
  /** The training split; tasks with images should be filtered out for a text policy. */
  tasks: readonly Task[];
  /** System prompt for tasks without their own prompt (`systemPrompt({ tools })`). */
  systemPrompt?: string;
  /** Where the rollouts sample (default: the learner's own sampler). */
  policySource?: PolicySource;
  /** Frozen reference policy for the KL term, `forward` only (needed when `klCoef` > 0). */
  reference?: Learner;
  /** Run seed: with `step` it fixes the prompts, the samples and the mini-batches. */
  seed: number;
  /** The step index (0-based). */
  step: number;
}

/**
 * Everything a step measured, plain numbers ready for `metrics.jsonl`: the rollouts' metrics and the update's
 * (`UpdateMetrics`, means over the mini-batch updates).
 */
export interface RlStepMetrics extends UpdateMetrics {
  step: number;
  prompts: number;
  rollouts: number;
  /** Rollouts that errored in the agent loop (finish reason "error"): excluded from metrics and update. */
  errors: number;
  /** Rollouts left out of the update for any reason (errors, failed judgements, dynamic sampling). */
  excluded: number;
  accuracy: number | null;
  toolUseRate: number | null;
  meanToolCalls: number | null;
  byNecessity: Record<ToolNecessity, SliceMetrics>;
  meanResponseTokens: number;
  /** Tokens the policy sampled this step, every rollout's model turns (errored rollouts' too: they cost the time). */
  sampledTokens: number;
  /** ρ: share of the update's rollouts with a non-zero tool advantage. */
  rho: number;
  /** Groups with at least two correct rollouts (|Q| ≥ 2). */
  groupsWithQualifyingPair: number;
  /** Groups skipped by dynamic sampling (all correct or all wrong). */
  skippedGroups: number;
  /** Batches of B prompts rolled out this step: 1, or more when dynamic sampling drew more to fill the update. */
  generationBatches: number;
  timings: {
    rolloutMs: number;
    /** `sampledTokens` per second of rollout time: the generation rate a run reaches, step by step. */
    rolloutTokensPerS: number;
    judgeMs: number;
    updateMs: number;
    totalMs: number;
  };
}

/** A step's metrics and its rollouts (for logging samples). */
export interface RlStepResult {
  metrics: RlStepMetrics;
  trajectories: Trajectory[];
  scores: RolloutScore[];
  /** Per rollout (aligned with `trajectories`): its two advantages, or null when it was left out of the update. */
  advantages: ({ accuracy: number; tool: number } | null)[];
}

/**
 * One HDPO step: B prompts drawn by (seed, step); G rollouts each through the agent loop with the in-process
 * policy and the tools; verdicts from the judge; rewards; advantages ("hdpo", "grpo" or a coupled baseline); PPO
 * epochs of the HDPO loss with Adam and gradient clipping. A rollout that errors never fails the step: it is
 * excluded (from metrics and update) and counted in `errors`.
 */
export async function rlStep(state: RlState, settings: RlSettings): Promise<RlStepResult> {
  if (settings.klCoef > 0 && state.reference === undefined) {
    throw new TrainerError("rlStep: klCoef > 0 needs state.reference, a frozen copy of the starting policy.");
  }
  checkRlSettings(settings);
  const began = performance.now();
  const stepSeed = deriveSeed(state.seed, state.step);
  const encoding = chatEncoding(state.tokenizer);
  const source = state.policySource ?? learnerSamplerPolicy;
  const policy = new TurnSeededPolicy(await source(state.learner, state.tokenizer, "hdpo-local"), stepSeed);
  const scope = toolTermScope(settings.advantage, settings.wTool);
  // DAPO's dynamic sampling draws further batches of B prompts (new ones) until B groups with signal are kept, at
  // most `dynamicSamplingBatches` in all (verl's max_num_gen_batches); without it a step skips and trains on fewer.
  const maxBatches = settings.dynamicSampling ? settings.dynamicSamplingBatches : 1;
  const prompts: Task[] = [];
  const trajectories: Trajectory[] = [];
  const scores: RolloutScore[] = [];
  const skippedGroups = new Set<string | number>();
  const keptGroups: (string | number)[] = [];
  let generationBatches = 0;
  let rolloutMs = 0;
  let judgeMs = 0;
  while (generationBatches < maxBatches && keptGroups.length < settings.batchPrompts) {
    const drawnIds = new Set(prompts.map((task) => task.id));
    const remaining = state.tasks.filter((task) => !drawnIds.has(task.id));
    if (remaining.length === 0) break;
    const batch = samplePrompts(remaining, settings.batchPrompts, state.seed, state.step, generationBatches);
    generationBatches += 1;
    const started = performance.now();
    const batchTrajectories = await rollout(batch, {
      policy,
      tools: state.tools,
      groupSize: settings.groupSize,
      concurrency: settings.concurrency,
      sampling: { temperature: settings.temperature, topP: settings.topP },
      maxTurns: settings.maxTurns,
      maxResponseTokens: settings.maxResponseTokens,
      maxActionTokens: settings.maxResponseTokens,
      maxObservationTokens: settings.maxObservationTokens,
      countTokens: encoding.countTokens,
      encodePrompt: encoding.encodePrompt,
      encodeObservation: encoding.encodeObservation,
      makeTrajectoryId: (taskId, index) => `rl-${state.seed}-${state.step}-${taskId}-${index}`,
      ...(state.systemPrompt !== undefined ? { systemPrompt: state.systemPrompt } : {}),
    });
    const rolledOut = performance.now();
    const batchScores = await scoreRollouts(
      batchTrajectories,
      new Map(batch.map((t) => [t.id, t])),
      state.judge,
    );
    rolloutMs += rolledOut - started;
    judgeMs += performance.now() - rolledOut;
    const members = batchTrajectories.flatMap((trajectory, i) =>
      batchScores[i]!.included
        ? [{ groupId: trajectory.groupId, correct: batchScores[i]!.correct, toolCalls: trajectory.toolCalls }]
        : [],
    );
    const batchSkipped = settings.dynamicSampling
      ? groupsWithoutSignal(members, scope)
      : new Set<string | number>();
    for (const groupId of batchSkipped) skippedGroups.add(groupId);
    for (const groupId of new Set(members.map((member) => member.groupId))) {
      if (!batchSkipped.has(groupId)) keptGroups.push(groupId);
    }
    prompts.push(...batch);
    trajectories.push(...batchTrajectories);
    scores.push(...batchScores);
  }
  const judged = performance.now();
  const tasksById = new Map(prompts.map((task) => [task.id, task]));
  // A last batch may keep more groups than B; like DAPO, the update takes the first B.
  const trained = new Set(keptGroups.slice(0, settings.batchPrompts));
  const used = trajectories
    .map((trajectory, index) => ({ trajectory, index, score: scores[index]! }))
    .filter(({ trajectory, score }) => score.included && trained.has(trajectory.groupId));
  const advantages =
    used.length === 0
      ? undefined
      : rolloutAdvantages(
          used.map(({ trajectory, score }) => ({
            groupId: trajectory.groupId,
            answerScore: score.answerScore,
            formatScore: score.formatScore,
            toolCalls: trajectory.toolCalls,
          })),
          settings.advantage,
          settings.wTool,
        );
  const samples: PolicySample[] = used.map(({ trajectory }, i) => ({
    tokens: trajectory.tokens!,
    accuracyAdvantage: advantages!.accuracy[i]!,
    toolAdvantage: advantages!.tool[i]!,
  }));
  const perRollout: ({ accuracy: number; tool: number } | null)[] = trajectories.map(() => null);
  used.forEach(({ index }, i) => {
    perRollout[index] = {
      accuracy: samples[i]!.accuracyAdvantage,
      tool: samples[i]!.toolAdvantage,
    };
  });
  const update = await ppoUpdate(
    samples,
    {
      learner: state.learner,
      toolWeight: advantages?.toolWeight ?? 0,
      seed: stepSeed,
      ...(state.reference !== undefined ? { reference: state.reference } : {}),
    },
    settings,
  );
  const updated = performance.now();

  const summary = rolloutMetrics(trajectories, scores, tasksById);
  const sampledTokens = trajectories.reduce((sum, trajectory) => sum + sampledTokenCount(trajectory), 0);
  const { tokens, ...losses } = update;
  return {
    metrics: {
      step: state.step,
      prompts: prompts.length,
      rollouts: trajectories.length,
      errors: summary.errors,
      excluded: trajectories.length - used.length,
      accuracy: summary.overall.accuracy,
      toolUseRate: summary.overall.toolUseRate,
      meanToolCalls: summary.overall.meanToolCalls,
      byNecessity: summary.byNecessity,
      meanResponseTokens: summary.meanResponseTokens,
      sampledTokens,
      rho: advantages?.stats.qualifyingRatio ?? 0,
      groupsWithQualifyingPair: advantages?.stats.groupsWithQualifyingPair ?? 0,
      skippedGroups: skippedGroups.size,
      generationBatches,
      ...losses,
      tokens,
      timings: {
        rolloutMs,
        rolloutTokensPerS: rolloutMs > 0 ? sampledTokens / (rolloutMs / 1000) : 0,
        judgeMs,
        updateMs: updated - judged,
        totalMs: updated - began,
      },
    },
    trajectories,
    scores,
    advantages: perRollout,
  };
}

/** The model's tokens in a rollout: its token record's loss-masked positions (the trainer's rollouts keep one). */
function sampledTokenCount(trajectory: Trajectory): number {
  return trajectory.tokens?.lossMask.reduce<number>((sum, mask) => sum + mask, 0) ?? 0;
}
