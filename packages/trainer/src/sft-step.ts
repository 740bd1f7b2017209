import type { DecoderModel } from "@hdpo/policy";
import { tf } from "@hdpo/tensor";
import { clipByGlobalNorm } from "./clip-gradients";
import { padResponses, sequenceBatch } from "./padded-batch";
import type { TokenSequence } from "./token-sequence";
import { TrainerError } from "./trainer-error";

/** Options of {@link sftStep}. */
export interface SftStepOptions {
  /** Global-norm gradient clip. Default 1. */
  gradClip?: number;
}

/** What one SFT step measured. */
export interface SftStepMetrics {
  /** Masked token-mean negative log-likelihood before the update. */
  loss: number;
  /** Tokens the loss was taken over (mask 1). */
  tokens: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/**
 * One supervised step: masked token-mean NLL over the model's tokens only (prompt and observation tokens carry no
 * loss), gradients clipped by global norm, one `optimizer` update (Adam in the trainer). Leaks no tensors.
 *
 * @throws TrainerError for an empty batch or a batch without a single model token.
 */
export function sftStep(
  model: DecoderModel,
  optimizer: tf.Optimizer,
  batch: readonly TokenSequence[],
  options: SftStepOptions = {},
): SftStepMetrics {
  if (batch.length === 0) throw new TrainerError("sftStep: the batch is empty; pass at least one example.");
  const tokens = batch.reduce((n, s) => n + s.lossMask.reduce<number>((a, m) => a + m, 0), 0);
  if (tokens === 0)
    throw new TrainerError("sftStep: no example has a token with lossMask 1; nothing to learn.");
  const padded = padResponses(batch.map((s) => s.lossMask));
  const lossMask = tf.tensor2d(padded.data, [padded.rows, padded.width]);
  const sequences = sequenceBatch(batch);
  const variables = model.trainableVariables();
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { logProbs, mask } = model.logProbs(sequences);
      return tf.div(tf.neg(tf.sum(tf.mul(tf.mul(logProbs, mask), lossMask))), tokens) as tf.Scalar;
    }, variables);
    const loss = value.dataSync()[0]!;
    value.dispose();
    const clipped = clipByGlobalNorm(grads, options.gradClip ?? 1);
    tf.dispose(grads);
    optimizer.applyGradients(clipped.grads);
    tf.dispose(clipped.grads);
    return { loss, tokens, gradNorm: clipped.norm };
  } finally {
    lossMask.dispose();
  }
}
