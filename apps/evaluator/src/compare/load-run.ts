import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Summary } from "@hdpo/evaluation";
import { EvaluatorError } from "../evaluator-error";

/** A finished run folder, as compare reads it. */
export interface LoadedRun {
  dir: string;
  /** The name shown in tables and plots: the model id, or the folder name when models repeat or are unknown. */
  label: string;
  model: string | undefined;
  summary: Summary;
}

/** Reads `summary.json` (and the model id from `config.json`, if any) of a run folder. */
export async function loadRun(dir: string): Promise<LoadedRun> {
  let summary: Summary;
  try {
    summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as Summary;
  } catch (error) {
    throw new EvaluatorError(
      `${dir}: cannot read summary.json (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); is it an hdpo-eval run folder? Run \`hdpo-eval run ... --out ${dir}\` first.`,
    );
  }
  if (typeof summary.n !== "number" || !("accuracy" in summary) || !("toolUseRate" in summary)) {
    throw new EvaluatorError(
      `${dir}/summary.json lacks n, accuracy or toolUseRate; it was not written by hdpo-eval.`,
    );
  }
  let model: string | undefined;
  try {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as {
      model?: unknown;
      resolvedModel?: unknown;
    };
    const id = config.model ?? config.resolvedModel;
    if (typeof id === "string") model = id;
  } catch {
    // config.json is optional for compare
  }
  return { dir, label: model ?? basename(resolve(dir)), model, summary };
}

/** Loads several runs; repeated labels fall back to folder names so every point is told apart. */
export async function loadRuns(dirs: readonly string[]): Promise<LoadedRun[]> {
  const runs = await Promise.all(dirs.map(loadRun));
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.label, (counts.get(run.label) ?? 0) + 1);
  return runs.map((run) =>
    (counts.get(run.label) ?? 0) > 1 ? { ...run, label: basename(resolve(run.dir)) } : run,
  );
}
