import type { EvalResult, RlStepLine, RunSummary } from "@hdpo/trainer";
import type { ReproRun } from "./run-repro";

/** Hand-built plain data for the aggregate and claims tests: only the fields they read carry meaning. */

export type EvalNumbers = Partial<
  Pick<
    EvalResult,
    | "accuracy"
    | "accuracyNecessary"
    | "accuracyUnnecessary"
    | "toolRateUnnecessary"
    | "toolRateNecessary"
    | "toolRate"
    | "meanToolCalls"
  >
>;

export function evalResult(numbers: EvalNumbers): EvalResult {
  return {
    accuracy: null,
    toolRateUnnecessary: null,
    toolRateNecessary: null,
    toolRate: null,
    meanToolCalls: null,
    accuracyUnnecessary: null,
    accuracyNecessary: null,
    n: 6,
    nUnnecessary: 2,
    nNecessary: 4,
    errors: 0,
    firstError: null,
    wallMs: 1,
    ...numbers,
  };
}

export interface StepNumbers {
  accuracy: number | null;
  rho: number;
  toolUnnecessary?: number | null;
  toolNecessary?: number | null;
}

export function rlLine(step: number, numbers: StepNumbers): RlStepLine {
  const slice = (toolUseRate: number | null) => ({
    rollouts: 4,
    accuracy: numbers.accuracy,
    toolUseRate,
    meanToolCalls: toolUseRate,
  });
  return {
    phase: "rl",
    step,
    prompts: 2,
    rollouts: 8,
    errors: 0,
    excluded: 0,
    accuracy: numbers.accuracy,
    toolUseRate: null,
    meanToolCalls: null,
    byNecessity: {
      unnecessary: slice(numbers.toolUnnecessary ?? null),
      required: slice(numbers.toolNecessary ?? null),
      unknown: slice(null),
    },
    meanResponseTokens: 10,
    sampledTokens: 40,
    rho: numbers.rho,
    groupsWithQualifyingPair: 0,
    skippedGroups: 0,
    generationBatches: 1,
    timings: { rolloutMs: 1, rolloutTokensPerS: 40_000, judgeMs: 1, updateMs: 1, totalMs: 3 },
    updates: 1,
    loss: 0,
    lossAcc: 0,
    lossTool: 0,
    clipFractionAcc: 0,
    clipFractionTool: 0,
    kl: 0,
    entropy: 1,
    gradNorm: 0,
    logProbMismatch: 0,
    tokens: 100,
  };
}

export interface RunNumbers {
  seed: number;
  method: string;
  sft?: EvalNumbers;
  final: EvalNumbers;
  steps?: StepNumbers[];
  wallTimeS?: number;
  /** Whether this run trained its own SFT (the first method of a seed). */
  ownSft?: boolean;
}

export function reproRun(numbers: RunNumbers): ReproRun {
  const dir = `study/seed-${numbers.seed}/${numbers.method}`;
  const summary: RunSummary = {
    sft: evalResult(numbers.sft ?? {}),
    hdpo: evalResult(numbers.final),
    wallTimeS: numbers.wallTimeS ?? 10,
    backend: "wasm",
    learner: { kind: "tfjs", baseModel: `${dir}/base` },
    seed: numbers.seed,
    preset: null,
    steps: { sft: 6, copyWarmup: 0, rl: numbers.steps?.length ?? 0 },
    failedRlSteps: 0,
    resumed: false,
    fromSft: numbers.ownSft === true ? null : `study/seed-${numbers.seed}/first`,
    finalCheckpoint: `${dir}/final`,
    finishedAt: "2026-01-01T00:00:00.000Z",
  };
  return {
    seed: numbers.seed,
    method: numbers.method,
    dir,
    summary,
    rlLines: (numbers.steps ?? []).map((s, step) => rlLine(step, s)),
  };
}
