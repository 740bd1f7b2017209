import type { RunConfigInput } from "../config/run-config";

/** A run of a few seconds: a 1-layer width-16 model, 4 train tasks per family, 6 SFT and 4 HDPO steps. */
export const TINY_CONFIG: RunConfigInput = {
  seed: 3,
  model: {
    hiddenSize: 16,
    intermediateSize: 32,
    layers: 1,
    attentionHeads: 2,
    keyValueHeads: 1,
    maxPositions: 512,
  },
  tokenizer: { vocabSize: 600 },
  suite: { sizes: { train: 4, val: 1, test: 2 }, systemPrompt: "compact" },
  sft: { steps: 6, batchSize: 4, learningRate: 0.01 },
  rl: {
    steps: 4,
    batchPrompts: 2,
    groupSize: 2,
    learningRate: 1e-3,
    maxResponseTokens: 96,
    maxObservationTokens: 32,
    maxTurns: 2,
    concurrency: 4,
    temperature: 1,
    // A tiny model answers nothing right, so advantages are 0; the entropy and KL terms still move the weights,
    // which the resume test needs (and the KL path loads the SFT policy as its reference).
    entropyCoef: 0.01,
    klCoef: 0.01,
  },
  eval: { maxTurns: 2, temperature: 0 },
  run: { checkpointEvery: 2, progressIntervalS: 1 },
};
