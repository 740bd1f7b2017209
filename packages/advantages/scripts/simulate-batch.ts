/** A simulated HDPO batch: G rollouts per prompt, side by side, with everything the advantages need. */
export interface SimulatedBatch {
  readonly accuracyRewards: number[];
  readonly toolRewards: number[];
  readonly correct: boolean[];
  readonly toolCalls: number[];
  readonly groupIds: string[];
}

/** How prompts and rollouts are drawn. */
export interface SimulationSettings {
  readonly prompts: number;
  readonly groupSize: number;
  /** Uniform [0, 1) source; pass a seeded one for reproducible tables. */
  readonly random: () => number;
  /** Every prompt's p(correct); when absent each prompt draws its own from U(0.05, 0.95). */
  readonly accuracy?: number;
}

/**
 * Draws a batch. Per prompt: a difficulty, i.e. p(correct) ~ U(0.05, 0.95) (or the fixed `accuracy`),
 * and a tool propensity u ~ U(0.2, 0.9). Per rollout: correct with probability p; uses tools with
 * probability u, then T ~ U{1, …, 4}, else T = 0 — so some correct rollouts use no tool and some 1–4.
 * The format score is held at 1 so that the tables isolate the accuracy/tool interaction:
 * r_acc = 0.9·correct + 0.1, r_tool = correct ? 1/(T+1) : 0.
 */
export function simulateBatch({ prompts, groupSize, random, accuracy }: SimulationSettings): SimulatedBatch {
  const batch: SimulatedBatch = {
    accuracyRewards: [],
    toolRewards: [],
    correct: [],
    toolCalls: [],
    groupIds: [],
  };
  for (let prompt = 0; prompt < prompts; prompt++) {
    const p = accuracy ?? 0.05 + 0.9 * random();
    const propensity = 0.2 + 0.7 * random();
    const id = `prompt-${prompt}`;
    for (let k = 0; k < groupSize; k++) {
      const correct = random() < p;
      const calls = random() < propensity ? 1 + Math.floor(4 * random()) : 0;
      batch.accuracyRewards.push(0.9 * (correct ? 1 : 0) + 0.1);
      batch.toolRewards.push(correct ? 1 / (calls + 1) : 0);
      batch.correct.push(correct);
      batch.toolCalls.push(calls);
      batch.groupIds.push(id);
    }
  }
  return batch;
}
