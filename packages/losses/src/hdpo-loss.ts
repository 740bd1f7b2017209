import { tf } from "@hdpo/tensor";
import { expandRows } from "./expand-rows";
import { type HdpoLossOptions, resolveHdpoLossOptions } from "./options";
import { readNumbers } from "./read-numbers";
import { ratioTensors, surrogateTensors } from "./surrogate-terms";
import { checkTensorShapes, checkTensorValues } from "./tensor-inputs";

/** The inputs of {@link hdpoLoss}: tensors from `@hdpo/tensor`'s `tf`. */
export interface HdpoLossInputs {
  /** log π_θ of every response token, float32 `[B, L]`: what gradients are taken with respect to. */
  logProb: tf.Tensor;
  /** log π_old of every response token, float32 `[B, L]`. */
  oldLogProb: tf.Tensor;
  /** 1 on the tokens the loss sees, 0 on padding and observation tokens, `[B, L]` (float32, int32 or bool). */
  mask: tf.Tensor;
  /** A_acc, GRPO over all rollouts of a prompt: float32 `[B]` or `[B, L]`. */
  accuracyAdvantages: tf.Tensor;
  /** A_tool, conditional GRPO over the correct rollouts (0 elsewhere): float32 `[B]` or `[B, L]`. */
  toolAdvantages: tf.Tensor;
}

/** What {@link hdpoLoss} returns. */
export interface HdpoLossResult {
  /** L = wAcc·L_acc + wTool·L_tool, a scalar tensor in the caller's gradient scope. The caller disposes it. */
  loss: tf.Scalar;
  /** L_acc, the surrogate with A_acc over the full mask (a scalar tensor; the caller disposes it). */
  lossAcc: tf.Scalar;
  /** L_tool, the surrogate with A_tool over the qualifying rows (a scalar tensor; the caller disposes it). */
  lossTool: tf.Scalar;
  /** The accuracy channel's clip fraction, read back as a number. */
  clipFractionAcc: number;
  /** The tool channel's clip fraction over its mask, read back as a number. */
  clipFractionTool: number;
  /** ρ: the share of rows with a non-zero tool advantage (a metric only). */
  qualifyingRatio: number;
  /** Whether no row had a non-zero tool advantage, so the full mask was used (and L_tool is 0). */
  toolMaskFallback: boolean;
}

/**
 * The HDPO loss on tfjs tensors: two clipped surrogates combined only at the end,
 * L = wAcc·L_acc + wTool·L_tool. L_acc uses A_acc over the full mask; L_tool uses A_tool over only the
 * rows whose tool advantage is non-zero (for `[B, L]` advantages: any entry of the row), so a qualifying
 * rollout whose advantage is exactly 0 is left out; when no row qualifies the full mask is used, as the
 * reference does, and L_tool is 0.
 *
 * `loss`, `lossAcc` and `lossTool` are scalar tensors usable inside `tf.grad` / `optimizer.minimize`;
 * the metrics are numbers (two small read-backs per call: the input check and the metrics), so they
 * survive the gradient scope. Intermediate tensors are disposed; the caller owns the three returned
 * tensors.
 *
 * @throws LossError on a shape or dtype mismatch (naming the tensors and shapes), a non-finite value,
 *   a mask entry other than 0/1, or an option out of range.
 *
 * @example
 * const grad = tf.grad((logProb) =>
 *   hdpoLoss({ logProb, oldLogProb, mask, accuracyAdvantages, toolAdvantages }).loss);
 * const gradLogProb = grad(logProb); // d L / d logProb, [B, L]
 */
export function hdpoLoss(inputs: HdpoLossInputs, options: HdpoLossOptions = {}): HdpoLossResult {
  const fn = "hdpoLoss";
  const resolved = resolveHdpoLossOptions(options, fn);
  const { logProb, oldLogProb, mask, accuracyAdvantages, toolAdvantages } = inputs;
  const [rows, columns] = checkTensorShapes(fn, logProb, oldLogProb, mask, [
    { name: "accuracyAdvantages", tensor: accuracyAdvantages },
    { name: "toolAdvantages", tensor: toolAdvantages },
  ]);
  checkTensorValues(
    fn,
    [
      { name: "logProb", tensor: logProb },
      { name: "oldLogProb", tensor: oldLogProb },
      { name: "accuracyAdvantages", tensor: accuracyAdvantages },
      { name: "toolAdvantages", tensor: toolAdvantages },
    ],
    mask,
  );

  const qualifying = readNumbers(tf.tidy(() => rowHasNonZero(toolAdvantages)));
  const qualifyingRows = qualifying.filter((flag) => flag === 1).length;
  const toolMaskFallback = qualifyingRows === 0;

  const [loss, lossAcc, lossTool, metrics] = tf.tidy(() => {
    const fullMask = tf.cast(mask, "float32") as tf.Tensor2D;
    const toolMask: tf.Tensor2D = toolMaskFallback
      ? fullMask
      : tf.mul(fullMask, expandRows(tf.tensor1d(qualifying), columns));
    const ratio = ratioTensors(logProb as tf.Tensor2D, oldLogProb as tf.Tensor2D);
    const acc = surrogateTensors(ratio, accuracyAdvantages, fullMask, resolved);
    const tool = surrogateTensors(ratio, toolAdvantages, toolMask, resolved);
    const total = tf.add(tf.mul(acc.loss, resolved.wAcc), tf.mul(tool.loss, resolved.wTool)) as tf.Scalar;
    return [total, acc.loss, tool.loss, tf.stack([acc.clipFraction, tool.clipFraction])] as const;
  });
  const [clipFractionAcc, clipFractionTool] = readNumbers(metrics);
  return {
    loss,
    lossAcc,
    lossTool,
    clipFractionAcc: clipFractionAcc!,
    clipFractionTool: clipFractionTool!,
    qualifyingRatio: qualifyingRows / rows,
    toolMaskFallback,
  };
}

/** 1 for every row with a non-zero entry, else 0: `[B]` from advantages `[B]` or `[B, L]`. */
function rowHasNonZero(advantages: tf.Tensor): tf.Tensor1D {
  const nonZero = tf.cast(tf.notEqual(advantages, 0), "float32");
  return (advantages.rank === 1 ? nonZero : tf.max(nonZero, 1)) as tf.Tensor1D;
}
