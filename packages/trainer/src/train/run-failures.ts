import { TrainerError } from "../trainer-error";
import type { EvalResult } from "./eval-result";

/** RL steps in a row that may fail as a whole before the run gives up (a single failure is skipped). */
export const MAX_CONSECUTIVE_FAILED_STEPS = 3;

/**
 * Errors after which the tfjs wasm module is dead (it aborted, usually out of its 4 GiB of memory): every later
 * operation fails too, so the run stops at once; the last checkpoint is intact and `--resume` starts a fresh module.
 */
export const DEAD_BACKEND =
  /Aborted\(|table index is out of bounds|memory access out of bounds|Cannot enlarge memory/;

export function deadBackendError(cause: string): TrainerError {
  return new TrainerError(
    `the tensor backend failed and cannot go on (${cause}). On wasm this is usually memory: lower ` +
      "rl.miniBatchSize, rl.maxResponseTokens or model.maxPositions, then continue with --resume.",
  );
}

/** An evaluation where no rollout finished says nothing about the policy: stop rather than report nulls. */
export function requireFinished(label: string, result: EvalResult): EvalResult {
  if (result.n > 0) return result;
  const cause = result.firstError ?? "unknown cause";
  if (DEAD_BACKEND.test(cause)) throw deadBackendError(cause);
  throw new TrainerError(`every rollout of the ${label} evaluation failed; the first: ${cause}.`);
}
