import type { RunConfigInput } from "./run-config";

/** Names of the built-in presets. */
export const PRESET_NAMES = ["quick", "default"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * The built-in presets. `quick` is the README's main job: SFT → HDPO → evaluation in under 10 minutes on a
 * 2-core laptop (sized to ~6–8 minutes on wasm, measured in docs/trainer.md); `default` trains a larger model
 * longer on the full system prompt.
 */
export const PRESETS: Readonly<Record<PresetName, RunConfigInput>> = {
  quick: {
    model: {
      hiddenSize: 48,
      intermediateSize: 128,
      layers: 2,
      attentionHeads: 4,
      keyValueHeads: 2,
      maxPositions: 768,
    },
    tokenizer: { vocabSize: 900 },
    suite: { sizes: { train: 40, val: 0, test: 16 }, systemPrompt: "compact" },
    sft: { steps: 320, batchSize: 8, learningRate: 3e-3 },
    rl: {
      steps: 14,
      batchPrompts: 4,
      groupSize: 6,
      // Mini-batches of 4 rollouts keep the wasm heap (4 GiB at most, never shrinking) far from full: one update
      // over all 24 rollouts padded to a 700-token table prompt outgrew it.
      miniBatchSize: 4,
      learningRate: 3e-4,
      maxTurns: 2,
      maxResponseTokens: 160,
      maxObservationTokens: 48,
      concurrency: 8,
    },
    eval: { temperature: 0, maxTurns: 2 },
    run: { checkpointEvery: 10 },
  },
  default: {
    model: {
      hiddenSize: 64,
      intermediateSize: 192,
      layers: 2,
      attentionHeads: 4,
      keyValueHeads: 2,
      maxPositions: 1024,
    },
    tokenizer: { vocabSize: 1024 },
    suite: { sizes: { train: 64, val: 16, test: 32 }, systemPrompt: "compact" },
    sft: { steps: 1500, batchSize: 8, learningRate: 3e-3 },
    rl: {
      steps: 60,
      batchPrompts: 8,
      groupSize: 8,
      miniBatchSize: 4,
      learningRate: 3e-4,
      maxTurns: 3,
      maxResponseTokens: 256,
      maxObservationTokens: 64,
      concurrency: 8,
    },
    eval: { temperature: 0, maxTurns: 3 },
    run: { checkpointEvery: 20 },
  },
};
