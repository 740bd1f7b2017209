import { tf } from "@hdpo/tensor";
import { PolicyError } from "../policy-error";
import type { DecoderModel } from "./decoder-model";
import { oneHotFloat, rowEntropy, targetLogProbs } from "./tensor-ops";

/** Whole sequences (prompt then response) and where each response starts. */
export interface SequenceBatch {
  /** Token ids of each sequence, prompt first; rows may differ in length. */
  sequences: readonly (readonly number[])[];
  /** How many leading tokens of each sequence are prompt (at least 1: the first token has no log-prob). */
  promptLengths: readonly number[];
}

/** Per-token results aligned to the responses: column j of row b is token `promptLengths[b] + j`. */
export interface SequenceLogProbs {
  /** `log p(token | everything before it)` `[B, L]`, L the longest response; 0 where `mask` is 0. */
  logProbs: tf.Tensor2D;
  /** 1 for a real response token, 0 for padding `[B, L]`. */
  mask: tf.Tensor2D;
  /** Entropy of the next-token distribution each token was drawn from `[B, L]` (0 on padding), when asked. */
  entropy?: tf.Tensor2D;
  /** Response length of each row. */
  responseLengths: number[];
}

/** Options of {@link sequenceLogProbs}. */
export interface SequenceLogProbsOptions {
  /** Also the entropy of each next-token distribution. */
  entropy?: boolean;
  /**
   * Score under `softmax(logits / temperature)`, the distribution a sampler at that temperature draws from (verl
   * divides the logits by the rollout temperature, so that the PPO ratio starts at 1). Default 1.
   */
  temperature?: number;
}

/**
 * Teacher-forced log-probs of each sequence's tokens after its prompt. Differentiable with respect to the
 * model's parameters on every backend (no gather on the gradient path), e.g. inside
 * `optimizer.minimize` or `tf.variableGrads`. The caller disposes the returned tensors.
 */
export function sequenceLogProbs(
  model: DecoderModel,
  batch: SequenceBatch,
  options: SequenceLogProbsOptions = {},
): SequenceLogProbs {
  const temperature = options.temperature ?? 1;
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    throw new PolicyError(`logProbs: temperature must be a finite number > 0, got ${temperature}`);
  }
  const { sequences, promptLengths } = batch;
  if (sequences.length === 0)
    throw new PolicyError("logProbs: the batch is empty; pass at least one sequence");
  if (promptLengths.length !== sequences.length) {
    throw new PolicyError(
      `logProbs: got ${promptLengths.length} prompt lengths for ${sequences.length} sequences; pass one per sequence`,
    );
  }
  const lengths = sequences.map((s) => s.length);
  const responseLengths = sequences.map((s, b) => {
    const prompt = promptLengths[b]!;
    if (!Number.isInteger(prompt) || prompt < 1 || prompt > s.length) {
      throw new PolicyError(
        `logProbs: promptLengths[${b}] = ${prompt} must be an integer in [1, ${s.length}] (the sequence's length; the first token has no log-prob)`,
      );
    }
    return s.length - prompt;
  });
  const width = Math.max(...responseLengths);
  if (width === 0) throw new PolicyError("logProbs: no sequence has a response token after its prompt");
  const time = Math.max(...lengths);
  const rows = sequences.length;
  const vocab = model.config.vocab_size;
  const padded = sequences.map((s) => [...s, ...new Array<number>(time - s.length).fill(0)]);
  // Position t predicts token t + 1; only the positions that predict a response token get their target,
  // the others get id 0 and are dropped by the alignment and the mask.
  const targets = new Int32Array(rows * time);
  const maskData = new Float32Array(rows * width);
  sequences.forEach((s, b) => {
    for (let j = 0; j < responseLengths[b]!; j++) {
      const t = promptLengths[b]! - 1 + j;
      targets[b * time + t] = s[t + 1]!;
      maskData[b * width + j] = 1;
    }
  });
  return tf.tidy(() => {
    const hidden = model.hiddenStates(padded, lengths, time);
    const raw = model.logitsOf(hidden);
    // No division at 1, so that the default path stays bit-identical to the plain logits.
    const logits: tf.Tensor2D = temperature === 1 ? raw : tf.div(raw, temperature);
    const oneHot = oneHotFloat(tf.tensor1d(targets, "int32"), vocab);
    const mask = tf.tensor2d(maskData, [rows, width]);
    const align = (perPosition: tf.Tensor1D): tf.Tensor2D =>
      tf.mul(
        alignToResponses(tf.reshape(perPosition, [rows, time]), promptLengths, responseLengths, width),
        mask,
      );
    const logProbs = align(targetLogProbs(logits, oneHot));
    const entropy = options.entropy === true ? align(rowEntropy(logits)) : undefined;
    return entropy === undefined
      ? { logProbs, mask, responseLengths }
      : { logProbs, mask, entropy, responseLengths };
  }) as SequenceLogProbs;
}

/** `[B, T]` per-position values → `[B, L]` with row b starting at column `promptLengths[b] − 1`. */
function alignToResponses(
  perPosition: tf.Tensor2D,
  promptLengths: readonly number[],
  responseLengths: readonly number[],
  width: number,
): tf.Tensor2D {
  const rows = perPosition.shape[0];
  const first = promptLengths[0]!;
  // One slice when every prompt has the same length (the usual GRPO group); per-row slices otherwise.
  if (promptLengths.every((p) => p === first)) return tf.slice(perPosition, [0, first - 1], [rows, width]);
  const parts = promptLengths.map((prompt, b) => {
    const length = responseLengths[b]!;
    if (length === 0) return tf.zeros([1, width]);
    const part = tf.slice(perPosition, [b, prompt - 1], [1, length]);
    return length === width ? part : tf.concat([part, tf.zeros([1, width - length])], 1);
  });
  return tf.concat(parts, 0) as tf.Tensor2D;
}
