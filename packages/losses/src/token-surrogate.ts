import type { ResolvedSurrogateOptions } from "./options";

/** The clipped surrogate at one token, in float64, with its derivative. */
export interface TokenSurrogate {
  /** The token's loss: max(pg1, pg2), capped at −A·clipC where A < 0. */
  readonly loss: number;
  /** Whether pg2 > pg1 strictly (the token counts towards the clip fraction). */
  readonly clipped: boolean;
  /** Whether A < 0 and max(pg1, pg2) > −A·clipC (the token counts towards the dual-clip fraction). */
  readonly dualClipped: boolean;
  /** The log-ratio after the ±20 clamp. */
  readonly logRatio: number;
  /** d loss / d logProb at this token, following tfjs's gradient conventions at ties (see below). */
  readonly gradient: number;
}

/** The clamp verl puts on the log-ratio before exponentiating. */
export const LOG_RATIO_LIMIT = 20;

/**
 * verl's dual-clip PPO loss at one token. The derivative follows the gradients tfjs registers for the
 * ops the tensor version uses, which decides what happens exactly on a kink:
 * - `clipByValue(x, lo, hi)` passes the gradient for lo ≤ x ≤ hi (inclusive), so a log-ratio of exactly
 *   ±20 still has a gradient, and so has a ratio exactly on 1 − clipLow or 1 + clipHigh through pg2;
 * - `maximum(pg1, pg2)` sends the gradient to pg1 when pg1 ≥ pg2 (ties go to the unclipped term);
 * - `minimum(clipped, −A·clipC)` sends it to `clipped` when clipped ≤ −A·clipC (ties keep the gradient).
 * On a tie the gradient is therefore the unclipped −A·ratio (torch's clamp and its maximum's even split
 * give the same total there).
 */
export function tokenSurrogate(
  logProb: number,
  oldLogProb: number,
  advantage: number,
  options: ResolvedSurrogateOptions,
): TokenSurrogate {
  const difference = logProb - oldLogProb;
  const logRatio = Math.min(Math.max(difference, -LOG_RATIO_LIMIT), LOG_RATIO_LIMIT);
  const ratio = Math.exp(logRatio);
  const lower = 1 - options.clipLow;
  const upper = 1 + options.clipHigh;
  const clippedRatio = Math.min(Math.max(ratio, lower), upper);
  const pg1 = -advantage * ratio;
  const pg2 = -advantage * clippedRatio;
  const maxTerm = Math.max(pg1, pg2);
  const cap = -advantage * options.clipC;
  const negative = advantage < 0;
  const loss = negative && !(maxTerm <= cap) ? cap : maxTerm;

  const throughPg1 = pg1 >= pg2;
  const ratioInsideClip = ratio >= lower && ratio <= upper;
  let dLossDRatio = throughPg1 || ratioInsideClip ? -advantage : 0;
  if (negative && !(maxTerm <= cap)) dLossDRatio = 0;
  const logRatioInsideClamp = difference >= -LOG_RATIO_LIMIT && difference <= LOG_RATIO_LIMIT;
  const gradient = logRatioInsideClamp ? dLossDRatio * ratio : 0;

  return {
    loss,
    clipped: pg2 > pg1,
    dualClipped: negative && maxTerm > cap,
    logRatio,
    gradient,
  };
}
