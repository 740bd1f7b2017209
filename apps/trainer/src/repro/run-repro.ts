import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunSummary } from "@hdpo/trainer";
import {
  configFingerprint,
  isRlStepLine,
  MetricsLog,
  parseRunConfig,
  type RlStepLine,
  type RunConfig,
  runFiles,
} from "@hdpo/trainer";
import { mergeConfig } from "../config/merge-config";
import { runTraining } from "../run/run-training";
import type { ProgressStream } from "../run/training-progress";
import { TrainerAppError } from "../trainer-app-error";
import type { ReproMethod } from "./repro-methods";

/** What happens to one (seed, method) run: trained from scratch, continued from its checkpoint, or already done. */
export type ReproRunAction = "train" | "resume" | "skip";

/** Told before each run of the study (in order), so a CLI can print where the study is. */
export interface ReproRunEvent {
  seed: number;
  method: string;
  dir: string;
  action: ReproRunAction;
  /** The run whose SFT policy this one starts from; null for the first method of a seed (it trains its own). */
  fromSft: string | null;
  /** 1-based position of this run in the study, and the number of runs. */
  index: number;
  total: number;
}

export interface RunReproOptions {
  /** The shared settings; each run gets `seed` and its method's `rl` overrides on top. */
  baseConfig: RunConfig;
  seeds: readonly number[];
  /** In run order: the first of each seed trains the SFT policy the others start from. */
  methods: readonly ReproMethod[];
  /** The study's folder: `out/seed-<s>/<method>` per run. */
  out: string;
  /** The preset the base config came from, recorded in each summary.json. */
  preset?: string;
  progress?: ProgressStream;
  quiet?: boolean;
  /** Stops after the current step of the current run (checkpointed); the next call resumes there. */
  signal?: AbortSignal;
  onRun?: (event: ReproRunEvent) => void;
}

/** One finished run of the study as plain data. */
export interface ReproRun {
  seed: number;
  method: string;
  dir: string;
  summary: RunSummary;
  /** The RL steps that ran (failed steps left out), in step order. */
  rlLines: RlStepLine[];
}

export type ReproResult =
  | { status: "finished"; runs: ReproRun[] }
  | { status: "interrupted"; seed: number; method: string; dir: string; runs: ReproRun[] };

/** The directory of one run of the study. */
export function reproRunDir(out: string, seed: number, method: string): string {
  return join(out, `seed-${seed}`, method);
}

/** The config of one run: the base with the seed and the method's RL settings, validated again. */
export function reproRunConfig(baseConfig: RunConfig, seed: number, method: ReproMethod): RunConfig {
  return parseRunConfig(
    mergeConfig(baseConfig, { seed, rl: { advantage: method.rl.advantage, wTool: method.rl.wTool } }),
    `config of the ${method.name} run (seed ${seed})`,
  );
}

/**
 * Runs the study: for each seed, every method with the same data, SFT policy and step counts. The first method of
 * a seed trains the SFT policy (an ordinary `trainRun`); the others start HDPO from it (`fromSft`), so their
 * differences are the RL settings alone. Resumable: a run with summary.json is read back, one with checkpoints/
 * continues, the rest start; calling it again after it finished trains nothing.
 *
 * @throws TrainerAppError when a finished run in `out` was trained with other settings (its numbers would not
 *   belong to this study), or when a run fails as `trainRun` does.
 */
export async function runRepro(options: RunReproOptions): Promise<ReproResult> {
  const { baseConfig, seeds, methods, out } = options;
  if (seeds.length === 0 || methods.length === 0) {
    throw new TrainerAppError("the reproduction study needs at least one seed and one method.");
  }
  const runs: ReproRun[] = [];
  const total = seeds.length * methods.length;
  let index = 0;
  for (const seed of seeds) {
    const sftDir = reproRunDir(out, seed, methods[0]!.name);
    for (const [position, method] of methods.entries()) {
      index++;
      const dir = reproRunDir(out, seed, method.name);
      const config = reproRunConfig(baseConfig, seed, method);
      const fromSft = position === 0 ? null : sftDir;
      const files = runFiles(dir);
      const action: ReproRunAction = (await exists(files.summary))
        ? "skip"
        : (await exists(files.checkpoints))
          ? "resume"
          : "train";
      // Stopped between runs (e.g. Ctrl-C during the last run's evaluation): start nothing new.
      if (action !== "skip" && options.signal?.aborted === true) {
        return { status: "interrupted", seed, method: method.name, dir, runs };
      }
      options.onRun?.({ seed, method: method.name, dir, action, fromSft, index, total });
      let summary: RunSummary;
      if (action === "skip") {
        await requireSameSettings(dir, config);
        summary = JSON.parse(await readFile(files.summary, "utf8")) as RunSummary;
      } else {
        const result = await runTraining({
          config,
          out: dir,
          resume: action === "resume",
          ...(fromSft !== null ? { fromSft } : {}),
          ...(options.preset !== undefined ? { preset: options.preset } : {}),
          ...(options.progress !== undefined ? { progress: options.progress } : {}),
          ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
        });
        if (result.status === "interrupted") {
          return { status: "interrupted", seed, method: method.name, dir, runs };
        }
        summary = result.summary;
      }
      const rlLines = (await new MetricsLog(files.metrics).read())
        .filter(isRlStepLine)
        .sort((a, b) => a.step - b.step);
      runs.push({ seed, method: method.name, dir, summary, rlLines });
    }
  }
  return { status: "finished", runs };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A finished run is reused only when it was trained with this study's settings and step counts. */
async function requireSameSettings(dir: string, config: RunConfig): Promise<void> {
  const path = runFiles(dir).config;
  let stored: RunConfig;
  try {
    stored = parseRunConfig(JSON.parse(await readFile(path, "utf8")), `config of ${dir}`);
  } catch (error) {
    throw new TrainerAppError(
      `${dir} holds a finished run whose config.json cannot be read (${(error as Error).message}); ` +
        "remove that run folder or choose another --out.",
    );
  }
  const same =
    configFingerprint(stored) === configFingerprint(config) &&
    stored.sft.steps === config.sft.steps &&
    stored.rl.steps === config.rl.steps;
  if (!same) {
    throw new TrainerAppError(
      `${dir} holds a finished run trained with other settings than this study's; ` +
        "use the same preset, config and flags as before, or choose another --out.",
    );
  }
}
