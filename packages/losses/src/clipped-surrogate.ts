import { tf } from "@hdpo/tensor";
import { resolveSurrogateOptions, type SurrogateOptions } from "./options";
import { readNumbers } from "./read-numbers";
import { ratioTensors, surrogateTensors } from "./surrogate-terms";
import { checkTensorShapes, checkTensorValues } from "./tensor-inputs";

/** The inputs of {@link clippedSurrogate}: tensors from `@hdpo/tensor`'s `tf`. */
export interface SurrogateInputs {
  /** log π_θ of every response token, float32 `[B, L]`: what gradients are taken with respect to. */
  logProb: tf.Tensor;
  /** log π_old of every response token, float32 `[B, L]`. */
  oldLogProb: tf.Tensor;
  /** Advantages, float32 `[B]` per rollout (broadcast over the row) or `[B, L]`. */
  advantages: tf.Tensor;
  /** 1 on the tokens the loss sees, 0 on padding and observation tokens, `[B, L]` (float32, int32 or bool). */
  mask: tf.Tensor;
}

/** What {@link clippedSurrogate} returns. */
export interface SurrogateResult {
  /** The aggregated loss, a scalar tensor in the caller's gradient scope. The caller disposes it. */
  loss: tf.Scalar;
  /** Masked mean of pg2 > pg1 (strict), read back as a number. */
  clipFraction: number;
  /** Masked mean of A < 0 and max(pg1, pg2) > −A·clipC, read back as a number. */
  dualClipFraction: number;
  /** Masked mean of oldLogProb − logProb after the ±20 clamp (verl's ppo_kl), read back as a number. */
  approxKl: number;
}

/**
 * verl's dual-clip PPO policy loss (`compute_policy_loss`) plus `agg_loss`, on tfjs tensors:
 * logRatio = clamp(logProb − oldLogProb, ±20), ratio = exp(logRatio), pg1 = −A·ratio,
 * pg2 = −A·clip(ratio, 1 − clipLow, 1 + clipHigh), loss = max(pg1, pg2), capped at −A·clipC where A < 0,
 * then aggregated by `aggMode`.
 *
 * Only `loss` is a tensor: it can be returned from a `tf.grad` / `optimizer.minimize` closure. The
 * metrics are plain numbers (one small read-back per call) so that they survive the gradient scope's
 * cleanup. Intermediate tensors are disposed; the caller owns `loss` (dispose it, or let an enclosing
 * `tf.tidy` / `tf.grad` do so).
 *
 * @throws LossError on a shape or dtype mismatch (naming the tensors and shapes), a non-finite value,
 *   a mask entry other than 0/1, or an option out of range.
 *
 * @example
 * const logProb = tf.tensor2d([[-1, -2]]);
 * const { loss } = clippedSurrogate({ logProb, oldLogProb: tf.tensor2d([[-1, -2]]),
 *   advantages: tf.tensor1d([1]), mask: tf.tensor2d([[1, 1]]) });
 * loss.dataSync(); // [-1]: ratio 1, −A·1 on both tokens
 */
export function clippedSurrogate(inputs: SurrogateInputs, options: SurrogateOptions = {}): SurrogateResult {
  const fn = "clippedSurrogate";
  const resolved = resolveSurrogateOptions(options, fn);
  const { logProb, oldLogProb, advantages, mask } = inputs;
  checkTensorShapes(fn, logProb, oldLogProb, mask, [{ name: "advantages", tensor: advantages }]);
  checkTensorValues(
    fn,
    [
      { name: "logProb", tensor: logProb },
      { name: "oldLogProb", tensor: oldLogProb },
      { name: "advantages", tensor: advantages },
    ],
    mask,
  );
  const [loss, metrics] = tf.tidy(() => {
    const terms = surrogateTensors(
      ratioTensors(logProb as tf.Tensor2D, oldLogProb as tf.Tensor2D),
      advantages,
      tf.cast(mask, "float32") as tf.Tensor2D,
      resolved,
    );
    return [terms.loss, tf.stack([terms.clipFraction, terms.dualClipFraction, terms.approxKl])] as const;
  });
  const [clipFraction, dualClipFraction, approxKl] = readNumbers(metrics);
  return { loss, clipFraction, dualClipFraction, approxKl };
}
