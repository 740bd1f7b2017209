import type { SftSettings } from "./trainer-config";

/**
 * The SFT learning rate of optimiser step `step` (0-based) of `settings.steps`: linear warm-up over
 * `warmupSteps` (step 0 already takes a non-zero step), then constant or cosine-decayed to
 * `minLearningRateRatio × learningRate` at the last step. A pure function of the step, so a resumed run
 * continues on the same curve without saving scheduler state.
 */
export function sftLearningRate(
  settings: Pick<SftSettings, "learningRate" | "warmupSteps" | "schedule" | "minLearningRateRatio" | "steps">,
  step: number,
): number {
  const { learningRate, warmupSteps, schedule, minLearningRateRatio, steps } = settings;
  if (step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
  if (schedule === "constant") return learningRate;
  const decaySteps = steps - warmupSteps - 1;
  const progress = decaySteps <= 0 ? 1 : Math.min(1, (step - warmupSteps) / decaySteps);
  const floor = learningRate * minLearningRateRatio;
  return floor + (learningRate - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
