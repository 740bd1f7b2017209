import { surrogateTerms } from "./clipped-surrogate-reference";
import { type HdpoLossOptions, resolveHdpoLossOptions } from "./options";
import { type Advantages, broadcastAdvantages, checkTokenMatrices, type Matrix } from "./reference-batch";

/** The inputs of {@link hdpoLossReference}: `[B, L]` plain numbers, advantages `[B]` or `[B, L]`. */
export interface HdpoLossReferenceBatch {
  /** log π_θ of every response token, `[B, L]`. */
  logProb: Matrix;
  /** log π_old of every response token, `[B, L]`. */
  oldLogProb: Matrix;
  /** 1 on the tokens the loss sees, 0 on padding and observation tokens, `[B, L]`. */
  mask: Matrix;
  /** A_acc, GRPO over all rollouts of a prompt, `[B]` or `[B, L]`. */
  accuracyAdvantages: Advantages;
  /** A_tool, conditional GRPO over the correct rollouts (0 elsewhere), `[B]` or `[B, L]`. */
  toolAdvantages: Advantages;
}

/** What {@link hdpoLossReference} computes, in float64. */
export interface HdpoLossReferenceResult {
  /** L = wAcc·L_acc + wTool·L_tool. */
  loss: number;
  /** L_acc: the surrogate with A_acc over the full mask. */
  lossAcc: number;
  /** L_tool: the surrogate with A_tool over the rows with a non-zero tool advantage. */
  lossTool: number;
  /** The clip fraction of the accuracy channel. */
  clipFractionAcc: number;
  /** The clip fraction of the tool channel (over its mask). */
  clipFractionTool: number;
  /** ρ: the share of rows with a non-zero tool advantage (a metric only). */
  qualifyingRatio: number;
  /** Whether no row had a non-zero tool advantage, so the full mask was used (and L_tool is 0). */
  toolMaskFallback: boolean;
  /** The analytic d L / d logProb, `[B, L]`. */
  gradLogProb: number[][];
}

/**
 * The HDPO loss in plain float64 TypeScript, with its analytic gradient: the reference the tensor version
 * {@link hdpoLoss} is tested against. A row qualifies for the tool channel when its tool advantage is
 * non-zero (for `[B, L]` advantages: any entry of the row); a qualifying rollout whose advantage is
 * exactly 0 is therefore left out. With no qualifying row the full mask is used, as the reference does.
 *
 * @throws LossError on mismatched shapes, non-finite values, a mask that is not 0/1, or bad options.
 *
 * @example
 * hdpoLossReference({
 *   logProb: [[0], [0]], oldLogProb: [[0], [0]], mask: [[1], [1]],
 *   accuracyAdvantages: [1, -1], toolAdvantages: [0.5, 0],
 * }).loss; // 0 + 0.15 · (−0.5) = −0.075
 */
export function hdpoLossReference(
  batch: HdpoLossReferenceBatch,
  options: HdpoLossOptions = {},
): HdpoLossReferenceResult {
  const fn = "hdpoLossReference";
  const resolved = resolveHdpoLossOptions(options, fn);
  const { rows, columns, logProb, oldLogProb, mask } = checkTokenMatrices(
    fn,
    batch.logProb,
    batch.oldLogProb,
    batch.mask,
  );
  const accuracy = broadcastAdvantages(fn, "accuracyAdvantages", batch.accuracyAdvantages, rows, columns);
  const tool = broadcastAdvantages(fn, "toolAdvantages", batch.toolAdvantages, rows, columns);

  const qualifying = tool.map((row) => row.some((value) => value !== 0));
  const qualifyingRows = qualifying.filter(Boolean).length;
  const toolMaskFallback = qualifyingRows === 0;
  const toolMask = toolMaskFallback
    ? mask
    : mask.map((row, b) => (qualifying[b] ? row : new Float64Array(columns)));

  const acc = surrogateTerms(logProb, oldLogProb, accuracy, mask, columns, resolved);
  const toolTerms = surrogateTerms(logProb, oldLogProb, tool, toolMask, columns, resolved);
  return {
    loss: resolved.wAcc * acc.loss + resolved.wTool * toolTerms.loss,
    lossAcc: acc.loss,
    lossTool: toolTerms.loss,
    clipFractionAcc: acc.clipFraction,
    clipFractionTool: toolTerms.clipFraction,
    qualifyingRatio: qualifyingRows / rows,
    toolMaskFallback,
    gradLogProb: acc.gradLogProb.map((row, b) =>
      row.map((value, t) => resolved.wAcc * value + resolved.wTool * toolTerms.gradLogProb[b]![t]! + 0),
    ),
  };
}
