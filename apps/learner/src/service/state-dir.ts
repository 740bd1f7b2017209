import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LearnerServerError } from "../learner-server-error";

/** Where everything of a state directory lives. Model ids and checkpoint names are checked before they get here. */
export class StateLayout {
  constructor(readonly root: string) {}
  get registry(): string {
    return join(this.root, "registry.json");
  }
  get futures(): string {
    return join(this.root, "futures.jsonl");
  }
  get lock(): string {
    return join(this.root, "server.lock");
  }
  /** TfjsLearner's stateDirectory of a model: save_weights states go to `<this>/<name>/`. */
  trainingStates(modelId: string): string {
    return join(this.root, "models", modelId, "weights");
  }
  trainingState(modelId: string, name: string): string {
    return join(this.trainingStates(modelId), name);
  }
  samplerWeights(modelId: string, name: string): string {
    return join(this.root, "models", modelId, "sampler_weights", name);
  }
}

/**
 * Takes the state directory for this process: a second live server on the same directory would interleave its writes
 * with ours, so it is refused; a lock left by a process that is gone (killed) is taken over.
 */
export async function lockStateDirectory(layout: StateLayout): Promise<() => Promise<void>> {
  await mkdir(layout.root, { recursive: true });
  const text = await readFile(layout.lock, "utf8").catch(() => undefined);
  const holder = Number(text?.trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new LearnerServerError(
      `${layout.root} is in use by another hdpo-learner (pid ${holder}); stop it or pass another --state-dir.`,
    );
  }
  await writeFile(layout.lock, `${process.pid}\n`);
  return async () => {
    const current = await readFile(layout.lock, "utf8").catch(() => undefined);
    if (Number(current?.trim()) === process.pid) await rm(layout.lock, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
