import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "@hdpo/policy";
import { TrainerError } from "../trainer-error";
import { sftFingerprint } from "./config-fingerprint";
import type { EvalResult } from "./eval-result";
import { MetricsLog, type SftMetricsLine } from "./metrics-log";
import { parseRunConfig, type RunConfig } from "./run-config";
import { runFiles } from "./run-files";

/** The SFT policy of another run, with its evaluation and SFT metrics, for a run that starts at HDPO. */
export interface SftStart {
  /** The run directory it came from (absolute). */
  directory: string;
  /** Its SFT policy (Hugging Face layout). */
  policyDirectory: string;
  sftEval: EvalResult;
  sftLines: SftMetricsLine[];
}

const EVALUATION_FILE = "evaluation.json";

/** Writes the SFT evaluation next to the SFT policy, so that later runs can start from it. */
export async function saveSftEvaluation(sftPolicyDir: string, evaluation: EvalResult): Promise<void> {
  await writeFileAtomic(join(sftPolicyDir, EVALUATION_FILE), `${JSON.stringify(evaluation, null, 2)}\n`);
}

/** For a remote learner: the server's training state that holds the SFT weights, in `sft/learner-state.json`. */
export async function saveRemoteSftState(sftPolicyDir: string, learnerState: string): Promise<void> {
  await mkdir(sftPolicyDir, { recursive: true });
  await writeFileAtomic(
    join(sftPolicyDir, "learner-state.json"),
    `${JSON.stringify({ learnerState }, null, 2)}\n`,
  );
}

/**
 * Loads the SFT policy of the run in `runDir` for a run with `config` that skips its own cold start and SFT.
 * Refuses a run whose SFT was trained with other data, model, tokenizer or SFT settings (the comparison would
 * not be from the same start), naming the sections that differ.
 */
export async function loadSftStart(runDir: string, config: RunConfig): Promise<SftStart> {
  const files = runFiles(runDir);
  const source = parseRunConfig(
    JSON.parse(await readOrExplain(files.config, runDir, "config.json")),
    `config of ${runDir}`,
  );
  if (sftFingerprint(source) !== sftFingerprint(config)) {
    const differing: string[] = (["seed", "suite", "model", "tokenizer", "sft"] as const).filter(
      (key) => JSON.stringify(source[key]) !== JSON.stringify(config[key]),
    );
    if (source.rl.maxObservationTokens !== config.rl.maxObservationTokens)
      differing.push("rl.maxObservationTokens");
    throw new TrainerError(
      `--from-sft ${runDir}: its SFT was trained with different settings (${differing.join(", ")}); ` +
        "start from a run with the same seed, suite, model, tokenizer and sft settings, or drop --from-sft.",
    );
  }
  const sftEval = JSON.parse(
    await readOrExplain(join(files.sftPolicy, EVALUATION_FILE), runDir, `sft/${EVALUATION_FILE}`),
  ) as EvalResult;
  const sftLines = (await new MetricsLog(files.metrics).read()).filter(
    (line): line is SftMetricsLine => line.phase === "sft",
  );
  return { directory: resolve(runDir), policyDirectory: files.sftPolicy, sftEval, sftLines };
}

async function readOrExplain(path: string, runDir: string, name: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch {
    throw new TrainerError(
      `--from-sft ${runDir}: no ${name} there; point it at a run directory whose SFT phase has finished.`,
    );
  }
}
