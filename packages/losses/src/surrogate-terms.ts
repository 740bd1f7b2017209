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

/** The log-ratio (clamped to ±20) and the ratio of new to old policy, shared by every advantage channel. */
export interface RatioTensors {
  readonly logRatio: tf.Tensor2D;
  readonly ratio: tf.Tensor2D;
}

/** `clamp(logProb − oldLogProb, ±20)` and its exp; call inside `tf.tidy`. */
export function ratioTensors(logProb: tf.Tensor2D, oldLogProb: tf.Tensor2D): RatioTensors {
  const logRatio = tf.clipByValue(
    tf.sub(logProb, oldLogProb),
    -LOG_RATIO_LIMIT,
    LOG_RATIO_LIMIT,
  ) as tf.Tensor2D;
  return { logRatio, ratio: tf.exp(logRatio) as tf.Tensor2D };
}

/**
 * verl's dual-clip PPO loss on tensors; call inside `tf.tidy`. Every elementwise op is same-shape
 * `[B, L]` (see `expandRows` for why). The argument order of maximum and minimum decides the gradient at
 * ties and is mirrored by the reference's `tokenSurrogate`. The ratio comes in from {@link ratioTensors}, so
 * the HDPO loss computes it once for both channels.
 *
 * @param advantages - `[B]` (per row) or `[B, L]`.
 * @param mask - 0/1 float32 `[B, L]`.
 */
export function surrogateTensors(
  { logRatio, ratio }: RatioTensors,
  advantages: tf.Tensor,
  mask: tf.Tensor2D,
  options: ResolvedSurrogateOptions,
): SurrogateTensors {
  const [, columns] = ratio.shape;
  const negAdvantage = tf.neg(perTokenAdvantages(advantages, columns));
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
