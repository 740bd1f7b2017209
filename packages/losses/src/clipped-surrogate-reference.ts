import { aggregationWeightsReference } from "./aggregation-weights-reference";
import { type ResolvedSurrogateOptions, resolveSurrogateOptions, type SurrogateOptions } from "./options";
import { type Advantages, broadcastAdvantages, checkTokenMatrices, type Matrix } from "./reference-batch";
import { tokenSurrogate } from "./token-surrogate";

/** The inputs of {@link clippedSurrogateReference}: `[B, L]` plain numbers, advantages `[B]` or `[B, L]`. */
export interface SurrogateReferenceBatch {
  /** log π_θ of every response token, `[B, L]`. */
  logProb: Matrix;
  /** log π_old of every response token, `[B, L]`. */
  oldLogProb: Matrix;
  /** Advantages, `[B]` per rollout (broadcast over the row) or `[B, L]`. */
  advantages: Advantages;
  /** 1 on the tokens the loss sees, 0 on padding and observation tokens, `[B, L]`. */
  mask: Matrix;
}

/** What {@link clippedSurrogateReference} computes, in float64. */
export interface SurrogateReferenceResult {
  /** The aggregated loss. */
  loss: number;
  /** Masked mean of pg2 > pg1 (strict). */
  clipFraction: number;
  /** Masked mean of A < 0 and max(pg1, pg2) > −A·clipC. */
  dualClipFraction: number;
  /** Masked mean of oldLogProb − logProb after the ±20 clamp (verl's ppo_kl). */
  approxKl: number;
  /** The analytic d loss / d logProb, `[B, L]`. */
  gradLogProb: number[][];
}

/**
 * verl's dual-clip PPO policy loss plus `agg_loss`, in plain float64 TypeScript, with its analytic
 * gradient: the reference the tensor version {@link clippedSurrogate} is tested against.
 *
 * @throws LossError on mismatched shapes, non-finite values, a mask that is not 0/1, or bad options.
 *
 * @example
 * clippedSurrogateReference({ logProb: [[0]], oldLogProb: [[0]], advantages: [2], mask: [[1]] }).loss; // -2
 */
export function clippedSurrogateReference(
  batch: SurrogateReferenceBatch,
  options: SurrogateOptions = {},
): SurrogateReferenceResult {
  const fn = "clippedSurrogateReference";
  const resolved = resolveSurrogateOptions(options, fn);
  const { rows, columns, logProb, oldLogProb, mask } = checkTokenMatrices(
    fn,
    batch.logProb,
    batch.oldLogProb,
    batch.mask,
  );
  const advantages = broadcastAdvantages(fn, "advantages", batch.advantages, rows, columns);
  return surrogateTerms(logProb, oldLogProb, advantages, mask, columns, resolved);
}

/** The surrogate on checked float64 inputs (shared with the HDPO reference). */
export function surrogateTerms(
  logProb: readonly Float64Array[],
  oldLogProb: readonly Float64Array[],
  advantages: readonly Float64Array[],
  mask: readonly Float64Array[],
  columns: number,
  options: ResolvedSurrogateOptions,
): SurrogateReferenceResult {
  const weights = aggregationWeightsReference(mask, columns, options.aggMode);
  let loss = 0;
  let maskTokens = 0;
  let clippedTokens = 0;
  let dualClippedTokens = 0;
  let klSum = 0;
  const gradLogProb = logProb.map((row, b) =>
    Array.from(row, (value, t) => {
      const token = tokenSurrogate(value, oldLogProb[b]![t]!, advantages[b]![t]!, options);
      const weight = weights[b]![t]!;
      if (mask[b]![t] === 1) {
        loss += weight * token.loss;
        maskTokens += 1;
        if (token.clipped) clippedTokens += 1;
        if (token.dualClipped) dualClippedTokens += 1;
        klSum += -token.logRatio;
      }
      // Adding 0 turns the −0 of a masked token or a zero advantage into +0.
      return weight * token.gradient + 0;
    }),
  );
  const perToken = 1 / Math.max(maskTokens, 1);
  return {
    loss,
    clipFraction: clippedTokens * perToken,
    dualClipFraction: dualClippedTokens * perToken,
    approxKl: klSum * perToken,
    gradLogProb,
  };
}
