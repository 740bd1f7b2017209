import type { Task } from "@hdpo/core";
import { deriveSeed, Prng } from "@hdpo/policy";
import { TrainerError } from "./trainer-error";

/**
 * B distinct tasks for step `step`, drawn without replacement from a stream that depends only on (seed, step) —
 * and on `batch`, for the further batches dynamic sampling draws within a step: a resumed run draws the same
 * prompts as an uninterrupted one without carrying a cursor.
 */
export function samplePrompts(
  tasks: readonly Task[],
  count: number,
  seed: number,
  step: number,
  batch = 0,
): Task[] {
  if (tasks.length === 0) throw new TrainerError("samplePrompts: there are no tasks to draw from.");
  const stepSeed = deriveSeed(seed, step);
  const prng = new Prng(batch === 0 ? stepSeed : deriveSeed(stepSeed, batch));
  const pool = [...tasks];
  const take = Math.min(count, pool.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(prng.next() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, take);
}
