import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ByteLevelBpeTokenizer,
  type DecoderModel,
  loadPolicy,
  savePolicy,
  writeFileAtomic,
} from "@hdpo/policy";
import type { tf } from "@hdpo/tensor";
import type { EvalResult } from "../run/eval-result";
import { TrainerAppError } from "../trainer-app-error";
import { encodeOptimizerState, restoreOptimizerState } from "./optimizer-state";

/** The training phases a checkpoint can be taken in. */
export type TrainingPhase = "sft" | "rl";

/** Where a run stands: with the seed, enough to continue it (batches and samples derive from seed and step). */
export interface RunPosition {
  phase: TrainingPhase;
  /** Steps of `phase` completed. */
  step: number;
  seed: number;
  /** The SFT policy's evaluation, once taken (it is not repeated on resume). */
  sftEval?: EvalResult;
  /** The run whose SFT policy this one started from (`--from-sft`), when it did. */
  fromSft?: string;
  /** Wall time spent before this checkpoint, summed over interrupted sessions. */
  elapsedMs: number;
  /** The run config as JSON: a resume must use the same one. */
  configFingerprint: string;
}

const POINTER = "latest.json";
const OPTIMIZER_FILE = "optimizer.safetensors";
const STATE_FILE = "state.json";

/** A loaded checkpoint: the policy, the position, and a way to restore the optimizer. */
export interface LoadedRunCheckpoint {
  directory: string;
  model: DecoderModel;
  tokenizer: ByteLevelBpeTokenizer;
  position: RunPosition;
  restoreOptimizer(optimizer: tf.Optimizer): Promise<void>;
}

function checkpointName(position: RunPosition): string {
  return `${position.phase}-${String(position.step).padStart(6, "0")}`;
}

/**
 * Writes a checkpoint atomically: the policy (Hugging Face layout), the optimizer state and the position go into a
 * temporary folder that is renamed into place, then `latest.json` is replaced (temp file + rename) to point at it,
 * and older checkpoints are removed. A kill at any moment leaves the previous checkpoint intact and pointed to.
 */
export async function saveRunCheckpoint(
  root: string,
  contents: {
    model: DecoderModel;
    tokenizer: ByteLevelBpeTokenizer;
    optimizer: tf.Optimizer;
    position: RunPosition;
  },
): Promise<string> {
  await mkdir(root, { recursive: true });
  const name = checkpointName(contents.position);
  const temp = join(root, `.${name}.${process.pid}.tmp`);
  await rm(temp, { recursive: true, force: true });
  await savePolicy(temp, { model: contents.model, tokenizer: contents.tokenizer });
  await writeFile(join(temp, OPTIMIZER_FILE), await encodeOptimizerState(contents.optimizer));
  await writeFile(join(temp, STATE_FILE), `${JSON.stringify(contents.position, null, 2)}\n`);
  const target = join(root, name);
  await rm(target, { recursive: true, force: true });
  await rename(temp, target);
  await writeFileAtomic(join(root, POINTER), `${JSON.stringify({ checkpoint: name })}\n`);
  for (const entry of await readdir(root)) {
    if (entry !== name && entry !== POINTER && !entry.startsWith(".")) {
      await rm(join(root, entry), { recursive: true, force: true });
    }
  }
  return target;
}

/** The latest checkpoint under `root`, or undefined when there is none. Call `useBackend` first. */
export async function loadRunCheckpoint(root: string): Promise<LoadedRunCheckpoint | undefined> {
  let pointer: string;
  try {
    pointer = await readFile(join(root, POINTER), "utf8");
  } catch {
    return undefined;
  }
  const name = (JSON.parse(pointer) as { checkpoint?: unknown }).checkpoint;
  if (typeof name !== "string" || !/^(sft|rl)-\d{6}$/.test(name)) {
    throw new TrainerAppError(
      `${join(root, POINTER)} is damaged; delete the checkpoints folder to start over.`,
    );
  }
  const directory = join(root, name);
  const position = JSON.parse(await readFile(join(directory, STATE_FILE), "utf8")) as RunPosition;
  const { model, tokenizer } = await loadPolicy(directory);
  const optimizerBytes = await readFile(join(directory, OPTIMIZER_FILE));
  return {
    directory,
    model,
    tokenizer,
    position,
    restoreOptimizer: (optimizer) => restoreOptimizerState(optimizer, new Uint8Array(optimizerBytes)),
  };
}
