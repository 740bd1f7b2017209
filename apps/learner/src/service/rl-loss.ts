/** An RL loss of spec §3.1 (fsdp/megatron semantics, sum-reduced, weights as multipliers). */
export type RlLoss =
  | { kind: "importance_sampling" }
  | {
      kind: "ppo";
      /** `clip_low_threshold` (1 − ε_lo), default 0.8. */
      low: number;
      /** `clip_high_threshold` (1 + ε_hi), default 1.2. */
      high: number;
    };

/** Per position: the learner weight that reproduces the loss's gradient, and the loss term itself. */
export interface RlTerms {
  /** `−∂(w·e)/∂ℓ` for each position: `forwardBackward` with these weights adds exactly the loss's gradient. */
  learnerWeights: number[];
  /** `Σ w·e` over the positions (float64). */
  loss: number;
}

const LOG_RATIO_CLAMP = 20;

/**
 * The RL loss of one datum as per-token weights on log-probs (spec §4.3's route, done on the server): with `ℓ` the
 * learner's log-probs at the current weights, `q` the behaviour log-probs, `A` the advantages and `w` the weights,
 *
 * - `importance_sampling`: `e = −exp(ℓ − q)·A` (no clamp), so `∂(w·e)/∂ℓ = −w·r·A`;
 * - `ppo`: `e = −min(r·A, clip(r, low, high)·A)` with `r = exp(clamp(ℓ − q, ±20))`, so `∂(w·e)/∂ℓ = −w·A·r·χ` where
 *   χ = 1 exactly when the unclipped branch is active (`A > 0`: r ≤ high; `A < 0`: r ≥ low; never when |ℓ − q| > 20).
 *
 * Since the learner minimises `Σ −w'·ℓ`, sending `w' = −∂(w·e)/∂ℓ` makes its gradient the loss's gradient exactly (the
 * loss depends on the weights only through ℓ). Computed in float64.
 */
export function rlTerms(
  loss: RlLoss,
  logProbs: readonly number[],
  behaviour: readonly number[],
  advantages: readonly number[],
  weights: readonly number[],
): RlTerms {
  const learnerWeights = new Array<number>(logProbs.length);
  let total = 0;
  for (let t = 0; t < logProbs.length; t++) {
    const w = weights[t]!;
    const a = advantages[t]!;
    const delta = logProbs[t]! - behaviour[t]!;
    if (loss.kind === "importance_sampling") {
      const r = Math.exp(delta);
      total += w * -r * a;
      learnerWeights[t] = w * r * a;
      continue;
    }
    const clamped = Math.min(Math.max(delta, -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP);
    const r = Math.exp(clamped);
    const clipped = Math.min(Math.max(r, loss.low), loss.high);
    total += w * -Math.min(r * a, clipped * a);
    const active =
      Math.abs(delta) <= LOG_RATIO_CLAMP && ((a > 0 && r <= loss.high) || (a < 0 && r >= loss.low));
    learnerWeights[t] = active ? w * a * r : 0;
  }
  return { learnerWeights, loss: total };
}
