import { tf } from "@hdpo/tensor";
import { expandRows } from "./expand-rows";
import type { AggMode } from "./options";

/**
 * The weight of every token in the aggregated loss (see {@link AggMode}), a constant `[B, L]` tensor:
 * every mode is linear in the per-token losses, `loss = Σ weights ⊙ tokenLoss`, as in the reference.
 * Summing against fixed weights keeps both the loss and its gradient free of row-wise broadcasts.
 * Denominators are floored at 1 so that an empty mask gives weights 0 (a loss of 0, never 0/0); with a
 * 0/1 mask the floor changes nothing else.
 *
 * @param mask - 0/1 float32 `[B, L]`.
 */
export function aggregationWeights(mask: tf.Tensor2D, mode: AggMode): tf.Tensor2D {
  const [, columns] = mask.shape;
  switch (mode) {
    case "token-mean":
      return tf.div(mask, tf.maximum(tf.sum(mask), 1));
    case "seq-mean-token-sum":
      return tf.div(mask, rowsWithTokens(mask));
    case "seq-mean-token-mean": {
      const perRow = tf.div(tf.div(1, tf.maximum(tf.sum(mask, 1), 1)), rowsWithTokens(mask));
      return tf.mul(mask, expandRows(perRow, columns));
    }
    case "seq-mean-token-sum-norm":
      return tf.div(mask, columns);
  }
}

/** Σ weights ⊙ tokenLoss: the aggregated loss, differentiable with respect to `tokenLoss`. */
export function aggregateLoss(tokenLoss: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.mul(tokenLoss, weights));
}

/** The number of rows with at least one mask token, floored at 1. */
function rowsWithTokens(mask: tf.Tensor2D): tf.Scalar {
  return tf.maximum(tf.sum(tf.cast(tf.greater(tf.sum(mask, 1), 0), "float32")), 1);
}

/** The masked mean of `values` `[B, L]`: Σ values ⊙ mask / max(Σ mask, 1). */
export function maskedMean(values: tf.Tensor, mask: tf.Tensor2D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1));
}
