import type { EvalResult, RlStepLine } from "@hdpo/trainer";
import type { ReproMethod, ReproMethodKind } from "./repro-methods";
import type { ReproRun } from "./run-repro";

/** Mean ± sample standard deviation (n − 1) over seeds; missing values (null) are left out of both. */
export interface SeedStat {
  mean: number | null;
  /** Null with fewer than two values. */
  std: number | null;
  /** Values that went in (non-null). */
  n: number;
  /** Per seed, in seed order, null where that seed had no value. */
  values: (number | null)[];
}

/** The held-out numbers the study reports per method (from summary.json's evaluation blocks). */
export const REPRO_METRICS = [
  "accuracy",
  "accuracyNecessary",
  "accuracyUnnecessary",
  "toolRateUnnecessary",
  "toolRateNecessary",
  "toolRate",
  "meanToolCalls",
] as const;
export type ReproMetric = (typeof REPRO_METRICS)[number];
export type ReproMetricStats = Record<ReproMetric, SeedStat>;

/** One RL step of a method, averaged over the seeds that logged it. */
export interface CurvePoint {
  step: number;
  accuracy: number | null;
  toolRateUnnecessary: number | null;
  toolRateNecessary: number | null;
  rho: number | null;
  /** Seeds that logged this step (a failed step is missing from its seed). */
  seeds: number;
}

export interface MethodAggregate {
  name: string;
  label: string;
  kind: ReproMethodKind;
  /** The method's α for coupled baselines, w_tool for HDPO, 0 for GRPO. */
  weight: number;
  seeds: number[];
  final: ReproMetricStats;
  /** Wall time of the method's runs over seeds (the first method's include their seed's SFT). */
  wallTimeS: SeedStat;
  curve: CurvePoint[];
}

export interface ReproCompute {
  runs: number;
  /** Wall time of every run summed (the SFT is counted once per seed: in its first method's run). */
  totalWallTimeS: number;
  /** Per method: its runs' wall time summed (the first method's includes the seeds' SFT). */
  wallTimeSByMethod: Record<string, number>;
  sftRuns: number;
  sftSteps: number;
  /** RL steps that ran, summed over runs (failed steps not counted). */
  rlSteps: number;
  failedRlSteps: number;
  rollouts: number;
  backends: string[];
}

export interface ReproAggregates {
  seeds: number[];
  /** The SFT policy every method of a seed starts from, over seeds. */
  sft: ReproMetricStats;
  methods: MethodAggregate[];
  compute: ReproCompute;
}

/** Mean and sample std of the non-null values. */
export function seedStat(values: readonly (number | null | undefined)[]): SeedStat {
  const kept = values.map((v) => (typeof v === "number" && Number.isFinite(v) ? v : null));
  const present = kept.filter((v): v is number => v !== null);
  const n = present.length;
  if (n === 0) return { mean: null, std: null, n, values: kept };
  const mean = present.reduce((sum, v) => sum + v, 0) / n;
  const std = n < 2 ? null : Math.sqrt(present.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, values: kept };
}

/** Mean of the present values, null when none is. */
function meanOf(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length === 0 ? null : present.reduce((sum, v) => sum + v, 0) / present.length;
}

function metricStats(results: readonly (EvalResult | undefined)[]): ReproMetricStats {
  return Object.fromEntries(
    REPRO_METRICS.map((metric) => [metric, seedStat(results.map((r) => r?.[metric] ?? null))]),
  ) as ReproMetricStats;
}

function methodWeight(method: ReproMethod): number {
  const { advantage, wTool } = method.rl;
  if (typeof advantage === "object") return advantage.alpha;
  return advantage === "grpo" ? 0 : wTool;
}

/** Per-step means over seeds of the rollout accuracy, tool use by necessity and ρ. */
function meanCurve(perSeed: readonly (readonly RlStepLine[])[]): CurvePoint[] {
  const bySteps = new Map<number, RlStepLine[]>();
  for (const lines of perSeed) {
    for (const line of lines) bySteps.set(line.step, [...(bySteps.get(line.step) ?? []), line]);
  }
  return [...bySteps.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, lines]) => ({
      step,
      accuracy: meanOf(lines.map((l) => l.accuracy)),
      toolRateUnnecessary: meanOf(lines.map((l) => l.byNecessity.unnecessary.toolUseRate)),
      toolRateNecessary: meanOf(lines.map((l) => l.byNecessity.required.toolUseRate)),
      rho: meanOf(lines.map((l) => l.rho)),
      seeds: lines.length,
    }));
}

/**
 * The study's numbers: per method the held-out metrics as mean ± std over seeds and the mean training curves; the
 * SFT start over seeds; the compute spent. Methods without any finished run are left out; a seed missing a
 * method counts as a missing value there.
 */
export function aggregateRepro(runs: readonly ReproRun[], methods: readonly ReproMethod[]): ReproAggregates {
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const find = (seed: number, method: string) => runs.find((r) => r.seed === seed && r.method === method);
  // Every run of a seed carries the same SFT evaluation (they share the policy); take the seed's first run.
  const sft = metricStats(seeds.map((seed) => runs.find((r) => r.seed === seed)?.summary.sft));
  const aggregates: MethodAggregate[] = methods
    .filter((method) => runs.some((r) => r.method === method.name))
    .map((method) => {
      const own = seeds.map((seed) => find(seed, method.name));
      return {
        name: method.name,
        label: method.label,
        kind: method.kind,
        weight: methodWeight(method),
        seeds: seeds.filter((_, i) => own[i] !== undefined),
        final: metricStats(own.map((r) => r?.summary.hdpo)),
        wallTimeS: seedStat(own.map((r) => r?.summary.wallTimeS ?? null)),
        curve: meanCurve(own.filter((r) => r !== undefined).map((r) => r.rlLines)),
      };
    });
  const wallTimeSByMethod = Object.fromEntries(
    aggregates.map((m) => [
      m.name,
      runs.filter((r) => r.method === m.name).reduce((sum, r) => sum + r.summary.wallTimeS, 0),
    ]),
  );
  const sftRuns = runs.filter((r) => r.summary.fromSft === null);
  return {
    seeds,
    sft,
    methods: aggregates,
    compute: {
      runs: runs.length,
      totalWallTimeS: runs.reduce((sum, r) => sum + r.summary.wallTimeS, 0),
      wallTimeSByMethod,
      sftRuns: sftRuns.length,
      // `copyWarmup` is absent from the summaries of runs finished before it existed (a resumed study reads them).
      sftSteps: sftRuns.reduce((sum, r) => sum + r.summary.steps.sft + (r.summary.steps.copyWarmup ?? 0), 0),
      rlSteps: runs.reduce((sum, r) => sum + r.rlLines.length, 0),
      failedRlSteps: runs.reduce((sum, r) => sum + r.summary.failedRlSteps, 0),
      rollouts: runs.reduce((sum, r) => sum + r.rlLines.reduce((s, l) => s + l.rollouts, 0), 0),
      backends: [...new Set(runs.map((r) => r.summary.backend))].sort(),
    },
  };
}
