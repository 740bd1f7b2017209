import { tf } from "@hdpo/tensor";
import { aggregateLoss, aggregationWeights, maskedMean } from "./aggregate-loss";
import { perTokenAdvantages } from "./expand-rows";
import type { ResolvedSurrogateOptions } from "./options";
import { LOG_RATIO_LIMIT } from "./token-surrogate";

/** The surrogate's scalars as tensors, to be read back or returned by the caller. */
export interface SurrogateTensors {
  readonly loss: tf.Scalar;
  readonly clipFraction: tf.Scalar;
  readonly dualClipFraction: tf.Scalar;
  readonly approxKl: tf.Scalar;
}

/**
 * verl's dual-clip PPO loss on tensors; call inside `tf.tidy`. Every elementwise op is same-shape
 * `[B, L]` (see `expandRows` for why). The argument order of maximum and minimum decides the gradient at
 * ties and is mirrored by the reference's `tokenSurrogate`.
 *
 * @param advantages - `[B]` (per row) or `[B, L]`.
 * @param mask - 0/1 float32 `[B, L]`.
 */
export function surrogateTensors(
  logProb: tf.Tensor2D,
  oldLogProb: tf.Tensor2D,
  advantages: tf.Tensor,
  mask: tf.Tensor2D,
  options: ResolvedSurrogateOptions,
): SurrogateTensors {
  const [, columns] = logProb.shape;
  const negAdvantage = tf.neg(perTokenAdvantages(advantages, columns));
  const logRatio = tf.clipByValue(tf.sub(logProb, oldLogProb), -LOG_RATIO_LIMIT, LOG_RATIO_LIMIT);
  const ratio = tf.exp(logRatio);
  const pg1 = tf.mul(negAdvantage, ratio);
  const pg2 = tf.mul(negAdvantage, tf.clipByValue(ratio, 1 - options.clipLow, 1 + options.clipHigh));
  const clipped = tf.maximum(pg1, pg2);
  const cap = tf.mul(negAdvantage, options.clipC);
  const negative = tf.greater(negAdvantage, 0);
  const tokenLoss = tf.where(negative, tf.minimum(clipped, cap), clipped) as tf.Tensor2D;

  return {
    loss: aggregateLoss(tokenLoss, aggregationWeights(mask, options.aggMode)),
    clipFraction: maskedMean(tf.cast(tf.greater(pg2, pg1), "float32"), mask),
    dualClipFraction: maskedMean(tf.cast(tf.logicalAnd(negative, tf.greater(clipped, cap)), "float32"), mask),
    approxKl: maskedMean(tf.neg(logRatio), mask),
  };
}
