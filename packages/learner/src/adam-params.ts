import type { LearnerAdamParams } from "@hdpo/core";
import { LearnerError } from "./learner-error";

const RULES: readonly [keyof LearnerAdamParams, (v: number) => boolean, string][] = [
  ["learningRate", (v) => v >= 0, "≥ 0"],
  ["beta1", (v) => v >= 0 && v < 1, "in [0, 1)"],
  ["beta2", (v) => v >= 0 && v < 1, "in [0, 1)"],
  ["eps", (v) => v > 0, "> 0"],
  ["weightDecay", (v) => v >= 0, "≥ 0"],
  ["gradClipNorm", (v) => v >= 0, "≥ 0 (0: no clipping)"],
];

/**
 * Checks an optimizer step's Adam parameters (the Tinker API's ranges, plus the clip norm).
 *
 * @throws LearnerError naming the first bad field and its range.
 */
export function checkAdamParams(params: LearnerAdamParams): void {
  for (const [key, ok, rule] of RULES) {
    const value = params[key];
    if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
      throw new LearnerError(`optimStep: adam ${key} must be a finite number ${rule}, got ${value}.`);
    }
  }
}
