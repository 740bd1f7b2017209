import type { RunConfigInput } from "./run-config";

/**
 * A run of a few seconds: a 1-layer width-16 model, 4 train tasks per family, 6 SFT steps (2 of copy warm-up, then 4
 * on the demonstrations with 2 copy exercises each), 4 HDPO steps; digits tokenized in triples.
 */
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
  tokenizer: { vocabSize: 600, digits: "triples" },
  suite: { sizes: { train: 4, val: 1, test: 2 }, systemPrompt: "compact" },
  sft: {
    steps: 4,
    batchSize: 4,
    learningRate: 0.01,
    copyWarmupSteps: 2,
    copyWarmupBatchSize: 4,
    copyRows: 2,
  },
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
