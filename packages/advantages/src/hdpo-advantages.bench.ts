import { bench, describe } from "vitest";
import { mulberry32 } from "../scripts/mulberry32";
import { grpoAdvantages } from "./grpo-advantages";
import { hdpoAdvantages } from "./hdpo-advantages";
import { referenceGrpoLoop, referenceHdpoLoop } from "./reference-port";

interface BenchBatch {
  accuracyRewards: number[];
  toolRewards: number[];
  correct: boolean[];
  toolCalls: number[];
  groupIds: string[];
}

// A batch shaped like a training step: `prompts` groups of `groupSize` rollouts with string uids,
// either side by side (the usual layout) or interleaved (rollout k of every prompt, then k + 1, …).
function makeBatch(prompts: number, groupSize: number, layout: "contiguous" | "interleaved"): BenchBatch {
  const random = mulberry32(20_240_611);
  const difficulty = Array.from({ length: prompts }, () => random());
  // One id string per prompt, shared by its rollouts, as a trainer repeating `task.id` produces.
  const uids = Array.from({ length: prompts }, (_, p) => `uid-${p}`);
  const batch: BenchBatch = {
    accuracyRewards: [],
    toolRewards: [],
    correct: [],
    toolCalls: [],
    groupIds: [],
  };
  for (let k = 0; k < prompts * groupSize; k++) {
    const prompt = layout === "contiguous" ? Math.floor(k / groupSize) : k % prompts;
    const correct = random() < difficulty[prompt];
    const calls = random() < 0.5 ? 0 : 1 + Math.floor(random() * 4);
    const format = random() < 0.95 ? 1 : 0;
    batch.accuracyRewards.push(0.9 * (correct ? 1 : 0) + 0.1 * format);
    batch.toolRewards.push(correct ? 1 / (calls + 1) : 0);
    batch.correct.push(correct);
    batch.toolCalls.push(calls);
    batch.groupIds.push(uids[prompt]);
  }
  return batch;
}

for (const [prompts, groupSize] of [
  [128, 16],
  [8192, 16],
] as const) {
  for (const layout of ["contiguous", "interleaved"] as const) {
    const batch = makeBatch(prompts, groupSize, layout);
    describe(`${prompts}×${groupSize} rollouts, ${layout} ids`, () => {
      bench("hdpoAdvantages", () => {
        hdpoAdvantages(batch);
      });
      bench("grpoAdvantages", () => {
        grpoAdvantages(batch.accuracyRewards, batch.groupIds);
      });
      bench("reference per-sample loop (JS port): both advantages", () => {
        referenceHdpoLoop(batch.accuracyRewards, batch.toolRewards, batch.groupIds);
      });
      bench("reference per-sample loop (JS port): GRPO only", () => {
        referenceGrpoLoop(batch.accuracyRewards, batch.groupIds);
      });
    });
  }
}
