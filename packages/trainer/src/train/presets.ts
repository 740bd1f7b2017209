import type { RunConfigInput } from "./run-config";

/** Names of the built-in presets. */
export const PRESET_NAMES = ["quick", "default"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * The tasks of `quick`. A small model trained from scratch on a laptop does not learn to copy digit
 * strings or invented names within minutes (measured in docs/results.md: after thousands of SFT steps it memorises the
 * demonstrations instead), so the tool-unnecessary tasks are yes/no questions it can answer without copying — is a
 * number even, is one number larger than another, as in the benchmarks the paper evaluates on — and the
 * tool-required ones keep to short tool calls. The parity questions are the ones on which a `quick` policy's
 * rollouts are right often enough, with and without a call, for HDPO's tool channel to learn from
 * (docs/results.md); `capital-choice` (multiple choice) left the presets for that reason.
 */
const QUICK_TEMPLATES = {
  direct: ["parity-yes-no", "compare-yes-no"],
  python: ["product", "modular-power"],
};

/**
 * The tasks of `default`, whose copy warm-up teaches the policy to copy a number from the question. Its
 * tool-unnecessary task is one answered by reading the prompt (`person-age`: "Nola Brith is 45 years old and lives
 * in Quen. How old is Nola?"), where a Python call only prints what the question says, as reflexive calls do in the
 * paper's starting point; its tool-required tasks are the Python ones, whose calls copy numbers. Search tasks are
 * left out: their queries need an invented name copied, which this model does not learn (0 and 1 of 32 right
 * on two seeds, docs/results.md), so nothing in HDPO's rewards can hold those calls; `quick` keeps them.
 */
const DEFAULT_FAMILIES = ["direct", "python"] as const;
const DEFAULT_TEMPLATES = {
  direct: ["person-age"],
  python: ["product", "modular-power"],
};

/**
 * The built-in presets. `quick` is the README's main job: SFT → HDPO → evaluation in under 10 minutes on a
 * 2-core laptop (sized to ~6–8 minutes on wasm, measured in docs/results.md); `default` trains a larger model
 * longer, after a copy warm-up, on tasks that need it.
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
    // Many distinct demonstrations (each executed for real) so that SFT generalises instead of memorising.
    // 64 test tasks per family: on 16 (the earlier size) one task moved a rate by 6 points.
    suite: {
      sizes: { train: 300, val: 0, test: 64 },
      systemPrompt: "compact",
      templates: QUICK_TEMPLATES,
      searchResults: 1,
    },
    sft: {
      // 600 rather than 400 steps: with 400, HDPO's cut of tool calls on tool-unnecessary tasks spread to the
      // tool-required ones on both seeds measured, with 600 on one of three (docs/results.md).
      steps: 600,
      batchSize: 8,
      learningRate: 3e-3,
      warmupSteps: 30,
      schedule: "cosine",
      toolRate: 0.75,
    },
    rl: {
      steps: 20,
      batchPrompts: 4,
      groupSize: 8,
      // Mini-batches of 4 rollouts keep the wasm heap (4 GiB at most, never shrinking) far from full: one update
      // over all rollouts of a step, padded to the longest, outgrew it.
      miniBatchSize: 4,
      learningRate: 3e-4,
      maxTurns: 2,
      maxResponseTokens: 256,
      maxObservationTokens: 128,
      concurrency: 8,
      // Groups with no right answer teach only format noise, which pushes a weak policy off its tools everywhere
      // (docs/results.md); skip them, and the all-right groups the tool channel cannot learn from.
      dynamicSampling: true,
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
    suite: {
      families: [...DEFAULT_FAMILIES],
      sizes: { train: 400, val: 16, test: 32 },
      systemPrompt: "compact",
      templates: DEFAULT_TEMPLATES,
      searchResults: 1,
    },
    sft: {
      steps: 1200,
      batchSize: 8,
      learningRate: 3e-3,
      warmupSteps: 50,
      schedule: "cosine",
      toolRate: 0.75,
      // The copy lookup (an induction head) forms in a phase change after ~400-500 warm-up steps; with it, the SFT
      // policy copies numbers into its calls and results into its answers (docs/results.md). Too long for `quick`.
      copyWarmupSteps: 800,
      copyRows: 16,
    },
    rl: {
      steps: 60,
      batchPrompts: 8,
      groupSize: 8,
      miniBatchSize: 4,
      // 1e-4 rather than quick's 3e-4: at 3e-4 the policy unlearnt part of its Python answers on one seed of two,
      // with DAPO's refill (rl.dynamicSamplingBatches) too; at 1e-4 it kept them (docs/results.md).
      learningRate: 1e-4,
      maxTurns: 3,
      maxResponseTokens: 320,
      maxObservationTokens: 128,
      concurrency: 8,
      dynamicSampling: true,
    },
    eval: { temperature: 0, maxTurns: 3 },
    run: { checkpointEvery: 20 },
  },
};
