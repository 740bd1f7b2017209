import { z } from "zod";
import { TrainerError } from "./trainer-error";

const positiveInt = z.number().int().positive();
const nonNegative = z.number().finite().nonnegative();

/** The decoder's sizes (a Qwen2-style config; vocab_size comes from the trained tokenizer). */
export const ModelSizesSchema = z
  .object({
    /** Width of the residual stream. */
    hiddenSize: positiveInt.default(64),
    /** Width of the MLP. */
    intermediateSize: positiveInt.default(192),
    /** Decoder layers. */
    layers: positiveInt.default(2),
    /** Query heads; must divide hiddenSize. */
    attentionHeads: positiveInt.default(4),
    /** Key/value heads (grouped-query attention); must divide attentionHeads. */
    keyValueHeads: positiveInt.default(2),
    /** Longest prompt + response the model can see. */
    maxPositions: positiveInt.default(1024),
    /** Seed of the weight initialisation. */
    seed: z.number().int().default(0),
  })
  .refine((m) => m.hiddenSize % m.attentionHeads === 0, {
    message: "hiddenSize must be a multiple of attentionHeads",
    path: ["hiddenSize"],
  })
  .refine((m) => m.attentionHeads % m.keyValueHeads === 0, {
    message: "attentionHeads must be a multiple of keyValueHeads",
    path: ["keyValueHeads"],
  });

/** The byte-level BPE tokenizer trained on the cold-start corpus. */
export const TokenizerSettingsSchema = z.object({
  /** Vocabulary size including the 256 bytes, the special tokens and the agent tags. */
  vocabSize: z.number().int().min(300).default(1024),
  /**
   * How digit runs are pre-split: `single` (one token per digit, Qwen2's pattern) or `triples` (runs of up to three,
   * as GPT-4's tokenizer), which turns a number into a few nearly unique tokens that a small model learns to copy.
   */
  digits: z.enum(["single", "triples"]).default("single"),
});

/**
 * Adam's constants (fixed for a phase; the learning rate comes from the phase's schedule). The defaults are tfjs's
 * (its epsilon is the float32 backend's 1e-7), which every documented run used; verl's AdamW has eps 1e-8.
 */
export const AdamSettingsSchema = z.object({
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-7),
  /** Decoupled (AdamW) weight decay; 0 = plain Adam. */
  weightDecay: nonNegative.default(0),
});

/** Cold start: generated trajectories and supervised fine-tuning on the model's tokens. */
export const SftSettingsSchema = z.object({
  /** Share of cold-start trajectories that call a tool (reflexive use, also where unnecessary). */
  toolRate: z.number().min(0).max(1).default(0.95),
  /**
   * Demonstrations that answer without a tool reason step by step where a worked reason exists (comparing numbers
   * digit by digit, finding the stated option: `directRationale`), instead of a stock sentence — so that a small
   * policy can be right without its tools, which is what lets HDPO's tool channel prefer answering directly.
   */
  directRationales: z.boolean().default(false),
  /** Optimiser steps. */
  steps: positiveInt.default(200),
  /** Examples per step. */
  batchSize: positiveInt.default(8),
  /** Adam learning rate (the peak, when a schedule is set). */
  learningRate: z.number().positive().default(3e-3),
  /** Steps of linear warm-up from 0 to `learningRate`. */
  warmupSteps: z.number().int().nonnegative().default(0),
  /** After warm-up: "constant", or "cosine" decay to `minLearningRateRatio × learningRate` at the last step. */
  schedule: z.enum(["constant", "cosine"]).default("constant"),
  /** Floor of the cosine decay, as a share of `learningRate`. */
  minLearningRateRatio: z.number().min(0).max(1).default(0.1),
  /** Global-norm gradient clip (verl's `grad_clip`, 1.0). */
  gradClip: z.number().positive().default(1),
  adam: AdamSettingsSchema.strict().default(() => AdamSettingsSchema.parse({})),
  /**
   * Copy exercises added to every step's batch (`copySequences`: a span, unrelated text, the span again), so that a
   * small model learns to copy numbers and names, which its tool use depends on. 0 leaves SFT as the demonstrations.
   */
  copyRows: z.number().int().nonnegative().default(0),
  /**
   * Steps of copy exercises alone (spans of random tokens, `copyWarmupBatchSize` a step) before the demonstrations:
   * a small model from scratch learns the copy lookup (an induction head) there, in a few hundred steps, and SFT
   * then uses it for the numbers and names of tool calls and answers. 0: none.
   */
  copyWarmupSteps: z.number().int().nonnegative().default(0),
  /** Rows per copy warm-up step. */
  copyWarmupBatchSize: positiveInt.default(32),
});

/** How advantages are formed from the two reward channels. */
export const AdvantageModeSchema = z.union([
  z.literal("hdpo"),
  /** Plain GRPO on r_acc: the tool channel is off (w_tool = 0). */
  z.literal("grpo"),
  z.object({
    coupled: z.enum(["additive-gated", "additive-ungated", "per-call-penalty"]),
    /** α, the weight of the tool term in the coupled reward. */
    alpha: nonNegative,
  }),
]);
export type AdvantageMode = z.infer<typeof AdvantageModeSchema>;

/** HDPO reinforcement learning. Defaults follow the reference (hdpo-math.md), scaled down where marked. */
export const RlSettingsSchema = z.object({
  /** Optimiser steps (each: rollouts, judging, PPO epochs). */
  steps: positiveInt.default(50),
  /** B, prompts per step (reference 128; scaled down). */
  batchPrompts: positiveInt.default(8),
  /** G, rollouts per prompt (reference 16). */
  groupSize: z.number().int().min(2).default(16),
  /** Adam learning rate (reference 1e-6 for a 7B model; scaled up for a small model). */
  learningRate: z.number().positive().default(1e-4),
  /** Global-norm gradient clip (verl's default 1.0). */
  gradClip: z.number().positive().default(1),
  adam: AdamSettingsSchema.strict().default(() => AdamSettingsSchema.parse({})),
  /** PPO epochs over each step's rollouts (verl's `ppo_epochs`, 1). */
  ppoEpochs: positiveInt.default(1),
  /** Rollouts per PPO mini-batch; each mini-batch is one optimiser update. Default: the whole step. */
  miniBatchSize: positiveInt.optional(),
  advantage: AdvantageModeSchema.default("hdpo"),
  /** w_acc (reference 1). */
  wAcc: nonNegative.default(1),
  /** w_tool (reference 0.15, the paper's best). Ignored (0) for "grpo" and coupled baselines. */
  wTool: nonNegative.default(0.15),
  /** ε_low (reference 0.2). */
  clipLow: nonNegative.default(0.2),
  /** ε_high (reference 0.2). */
  clipHigh: nonNegative.default(0.2),
  /** Dual-clip constant c (reference 3). */
  clipC: z.number().gt(1).default(3),
  /** Loss aggregation (reference token-mean). */
  aggMode: z
    .enum(["token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"])
    .default("token-mean"),
  /** KL(π‖π_ref) coefficient, low-variance k3 estimator (reference 0: no KL). */
  klCoef: nonNegative.default(0),
  /** Entropy bonus coefficient (reference 0). */
  entropyCoef: nonNegative.default(0),
  /**
   * Skip groups without signal (DAPO's dynamic sampling, adapted to the tool channel: `groupsWithoutSignal`): all
   * wrong, or all correct with nothing for the tool term to compare; default off.
   */
  dynamicSampling: z.boolean().default(false),
  /**
   * With dynamic sampling, batches of B new prompts rolled out at most per step until B groups with signal are kept
   * (verl's `max_num_gen_batches`, DAPO's refill); 1 = train on the groups the first batch keeps. Default 1.
   */
  dynamicSamplingBatches: z.number().int().positive().default(1),
  /**
   * Where π_old comes from: "rollout" = the sampling log-probs the policy returned; "recompute" = one
   * no-gradient forward pass over the exact training tokens before the first update (what verl does).
   */
  oldLogProbs: z.enum(["rollout", "recompute"]).default("rollout"),
  /**
   * Sampling temperature (reference 1). Training log-probs are taken at it too (logits / temperature, as verl does),
   * so that the PPO ratio starts at 1.
   */
  temperature: z.number().positive().default(1),
  /**
   * Nucleus sampling (reference 1). Below 1 the sampler's log-probs are of the truncated distribution, not π_old:
   * it needs `oldLogProbs: "recompute"`.
   */
  topP: z.number().gt(0).max(1).default(1),
  /** Tool calls per rollout at most (reference max_turns 10). */
  maxTurns: z.number().int().nonnegative().default(10),
  /** Response tokens per rollout, actions and observations together (reference 16384; scaled down). */
  maxResponseTokens: positiveInt.default(384),
  /** Observation tokens kept per tool call (reference 8192; scaled down). */
  maxObservationTokens: positiveInt.default(128),
  /** Trajectories in flight at once. */
  concurrency: positiveInt.default(8),
});

/** The whole trainer config: one schema, every field defaulted to the reference (or its scaled-down value). */
export const TrainerConfigSchema = z.object({
  /** Seed of everything random: prompt sampling, rollout sampling, cold-start texts. */
  seed: z.number().int().default(0),
  model: ModelSizesSchema.default(() => ModelSizesSchema.parse({})),
  tokenizer: TokenizerSettingsSchema.default(() => TokenizerSettingsSchema.parse({})),
  sft: SftSettingsSchema.default(() => SftSettingsSchema.parse({})),
  rl: RlSettingsSchema.default(() => RlSettingsSchema.parse({})),
});

export type TrainerConfig = z.infer<typeof TrainerConfigSchema>;
export type TrainerConfigInput = z.input<typeof TrainerConfigSchema>;
export type RlSettings = z.infer<typeof RlSettingsSchema>;
export type AdamSettings = z.infer<typeof AdamSettingsSchema>;
export type SftSettings = z.infer<typeof SftSettingsSchema>;
export type ModelSizes = z.infer<typeof ModelSizesSchema>;
export type TokenizerSettings = z.infer<typeof TokenizerSettingsSchema>;

/**
 * Validates a config and fills in the defaults.
 *
 * @throws TrainerError naming every bad field by its path (e.g. `rl.groupSize`) and what it must be.
 */
export function parseTrainerConfig(input: unknown = {}): TrainerConfig {
  const parsed = TrainerConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(config)";
    return `${path}: ${issue.message}`;
  });
  throw new TrainerError(`invalid trainer config: ${problems.join("; ")}.`);
}

/**
 * The rules between RL settings that one field's schema cannot state.
 *
 * @throws TrainerError naming the fields and the fix.
 */
export function checkRlSettings(rl: RlSettings): void {
  if (rl.topP < 1 && rl.oldLogProbs === "rollout") {
    throw new TrainerError(
      `rl.topP is ${rl.topP}: the sampler's log-probs are then of the truncated distribution, not π_old, and the PPO ` +
        'ratio would start away from 1; set rl.oldLogProbs to "recompute" (what verl does) or rl.topP to 1.',
    );
  }
}

/** The RL settings alone, defaults filled in (for `rlStep` callers that skip the full config). */
export function parseRlSettings(input: unknown = {}): RlSettings {
  return parseTrainerConfig({ rl: input }).rl;
}
