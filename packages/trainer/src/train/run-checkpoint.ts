import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Learner } from "@hdpo/core";
import { writeFileAtomic } from "@hdpo/policy";
import { TrainerError } from "../trainer-error";
import type { EvalResult } from "./eval-result";

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

/** `latest.json`: the checkpoint's name, the learner state it saved, and the run's position there. */
interface Pointer {
  checkpoint: string;
  learnerState: string;
  position: RunPosition;
}

const POINTER = "latest.json";
// A checkpoint's name carries the time it was written: a remote learner refuses a state name it already holds, and a
// resumed run may checkpoint the same step again (e.g. stopping before a step whose predecessor was checkpointed).
const NAME = /^(sft|rl)-\d{6}-[0-9a-z]+$/;

/** A checkpoint to continue from: the learner's state and the run's position. */
export interface LoadedRunCheckpoint {
  /** What the learner saved (a folder for the tfjs learner, a `tinker://` path for a remote one). */
  learnerState: string;
  position: RunPosition;
}

function checkpointName(position: RunPosition): string {
  return `${position.phase}-${String(position.step).padStart(6, "0")}-${Date.now().toString(36)}`;
}

/**
 * Writes a checkpoint: the learner saves its state (weights and optimizer; the tfjs learner atomically, into a folder
 * under `root`), then `latest.json` — the state's path and the run's position — is replaced atomically, and older
 * states under `root` are removed. A kill at any moment leaves the previous checkpoint intact and pointed to.
 * Resolves to the state's path.
 */
export async function saveRunCheckpoint(
  root: string,
  contents: { learner: Learner; position: RunPosition },
): Promise<string> {
  const name = checkpointName(contents.position);
  const learnerState = await contents.learner.saveState(name);
  // A remote learner keeps its states elsewhere: the pointer's folder may not exist yet.
  await mkdir(root, { recursive: true });
  const pointer: Pointer = { checkpoint: name, learnerState, position: contents.position };
  await writeFileAtomic(join(root, POINTER), `${JSON.stringify(pointer, null, 2)}\n`);
  for (const entry of await readdir(root)) {
    if (entry !== name && entry !== POINTER && (NAME.test(entry) || entry.startsWith("sft-done-"))) {
      await rm(join(root, entry), { recursive: true, force: true });
    }
  }
  return learnerState;
}

/** The latest checkpoint under `root`, or undefined when there is none. */
export async function loadRunCheckpoint(root: string): Promise<LoadedRunCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(join(root, POINTER), "utf8");
  } catch {
    return undefined;
  }
  const pointer = parsePointer(text);
  if (pointer === undefined) {
    throw new TrainerError(
      `${join(root, POINTER)} is damaged or from an older hdpo-train; delete the checkpoints folder to start over.`,
    );
  }
  return { learnerState: pointer.learnerState, position: pointer.position };
}

function parsePointer(text: string): Pointer | undefined {
  try {
    const value = JSON.parse(text) as Partial<Pointer>;
    if (typeof value.checkpoint !== "string" || !NAME.test(value.checkpoint)) return undefined;
    if (
      typeof value.learnerState !== "string" ||
      typeof value.position !== "object" ||
      value.position === null
    ) {
      return undefined;
    }
    return value as Pointer;
  } catch {
    return undefined;
  }
}
