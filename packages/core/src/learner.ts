/**
 * The seam between the trainer and whatever updates the weights, shaped after the Tinker training API (forward,
 * forward_backward with per-token weights, optim_step, sampler weights, save/load with futures on the wire): the
 * in-process tfjs learner, our `hdpo-learner` server and a Tinker-API service (SkyRL's, on GPU clusters) implement
 * it alike. A learner knows nothing of rewards or advantages: every loss reaches it as weights on log-probs.
 */

/** Token ids of a model input. */
export interface LearnerTextChunk {
  type: "encoded_text";
  tokens: number[];
}

/** An image of a model input (a vision-language base only), base64 bytes. */
export interface LearnerImageChunk {
  type: "image";
  data: string;
  format: "png" | "jpeg";
  expectedTokens?: number;
}

export type LearnerChunk = LearnerTextChunk | LearnerImageChunk;

/**
 * One training sequence, aligned as Tinker aligns it: `modelInput` is the sequence without its last token and
 * `targetTokens` the sequence without its first, so input position t predicts `targetTokens[t]`.
 */
export interface LearnerDatum {
  modelInput: LearnerChunk[];
  targetTokens: number[];
  /**
   * Per target position, the multiplier of `−log p(target)` in the summed loss (Tinker's `cross_entropy`); 1 when
   * omitted. 0 leaves a position out; any real number is allowed (a custom loss's `−dL/dlogp`).
   */
  weights?: number[];
  /**
   * Per target position, the multiplier of `−H` (the entropy of the next-token distribution) added to the loss:
   * an entropy bonus. Only learners whose `capabilities.entropy` is true accept a non-zero entry.
   */
  entropyWeights?: number[];
}

/** Options of a forward pass. */
export interface LearnerPassOptions {
  /**
   * Log-probs of `softmax(logits / temperature)`, the distribution the sampler drew from (verl divides the logits by
   * the rollout temperature). Default 1. A remote learner serves only the temperature its server was started with.
   */
  temperature?: number;
}

/** What a forward pass returns: per datum, `log p(targetTokens[t])` for every target position. */
export interface LearnerForwardOutput {
  logProbs: number[][];
}

/** What a forward-backward pass returns. */
export interface LearnerForwardBackwardOutput extends LearnerForwardOutput {
  /** Σ −w·logp over the request (plus the entropy term, when any): the learner's loss, not a custom loss's value. */
  loss: number;
}

/** Adam's parameters for one step (Tinker's `AdamParams`, with the hosted SDK's `gradClipNorm`). */
export interface LearnerAdamParams {
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (AdamW); 0 for plain Adam. */
  weightDecay: number;
  /** Clip the global gradient norm at this value before the step; 0 = no clipping. */
  gradClipNorm: number;
}

/** What an optimizer step measured. */
export interface LearnerOptimStepOutput {
  /** The global L2 norm of the accumulated gradient, before clipping. */
  gradNorm: number;
  learningRate: number;
}

/** One sampling request: token in, tokens out. */
export interface LearnerSampleRequest {
  prompt: LearnerChunk[];
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  seed: number;
  /** Stop strings (kept at the end of the tokens) or stop token ids; end-of-sequence tokens always stop. */
  stop?: string[] | number[];
  /**
   * Requests that share a key (a conversation's turns: the trajectory id) should reach the same inference engine,
   * so that its prefix cache is reused; samplers with one engine ignore it.
   */
  affinityKey?: string;
}

export interface LearnerSampledSequence {
  tokens: number[];
  /** The sampler's log-prob of each token. */
  logProbs: number[];
  stopReason: "stop" | "length";
}

/** Samples from the weights pushed with {@link Learner.samplerForCurrentWeights}. */
export interface LearnerSampler {
  sample(request: LearnerSampleRequest): Promise<LearnerSampledSequence>;
}

/** What a learner can and cannot do, so that a trainer refuses a config it would silently ignore. */
export interface LearnerCapabilities {
  /** `entropyWeights` are honoured. */
  entropy: boolean;
  /** Temperatures `forward`/`forwardBackward` accept (undefined: any positive one). */
  temperatures?: readonly number[];
  /** Which `LearnerAdamParams` fields the learner applies ("all", or the learning rate only). */
  adamParams: "all" | "learning-rate";
  /** Set when the learner clips the gradient norm itself at this value, whatever `gradClipNorm` says. */
  fixedGradClipNorm?: number;
  /** Image chunks are accepted. */
  images: boolean;
}

/** Identifies a learner and its model in reports. */
export interface LearnerInfo {
  /** "tfjs", "tinker", … */
  kind: string;
  /** The base model the learner trains (a Hugging Face id or a directory). */
  baseModel: string;
  /** For a learner behind a wire protocol: the protocol version it was written against (e.g. `skyrl@a9564572e`). */
  protocol?: string;
  capabilities: LearnerCapabilities;
}

/**
 * The learner: gradients of `forwardBackward` calls accumulate until `optimStep` applies and clears them. Calls
 * must be awaited in order (a step's forward and forward-backward see the same weights).
 */
export interface Learner {
  readonly info: LearnerInfo;
  /** Log-probs of the targets under the current weights, no gradients. */
  forward(data: readonly LearnerDatum[], options?: LearnerPassOptions): Promise<LearnerForwardOutput>;
  /** Adds the gradient of Σ −w·logp (− Σ e·H) over `data` to the accumulated gradient. */
  forwardBackward(
    data: readonly LearnerDatum[],
    options?: LearnerPassOptions,
  ): Promise<LearnerForwardBackwardOutput>;
  /** One Adam step on the accumulated gradient, which is then cleared. */
  optimStep(params: LearnerAdamParams): Promise<LearnerOptimStepOutput>;
  /** Saves the training state (weights and optimizer) under `name`; resolves to its path (`tinker://…` or a folder). */
  saveState(name: string): Promise<string>;
  /** Restores a state saved by {@link saveState} (weights and, unless `weightsOnly`, the optimizer). */
  loadState(path: string, options?: { weightsOnly?: boolean }): Promise<void>;
  /**
   * Writes the current weights as a Hugging Face checkpoint folder (config, weights, tokenizer when the learner has
   * one) on this machine: a remote learner saves them for its sampler and downloads the archive.
   */
  exportWeights(directory: string): Promise<void>;
  /** Pushes the current weights to the sampler and returns it. */
  samplerForCurrentWeights(): Promise<LearnerSampler>;
  /** Frees what the learner holds (a remote model, tensors). */
  close(): Promise<void>;
}
