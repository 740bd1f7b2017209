import { describe, expect, it } from "vitest";
import { type RlLoss, rlTerms } from "./rl-loss";

// The learner weights must be −∂(Σ w·e)/∂ℓ: checked against central finite differences of the loss itself, at points
// away from the clip boundaries (where the loss has kinks).

/** d(w·e)/dℓ at one position, from that position's term alone (the sum would drown it in rounding). */
function finiteDifference(
  loss: RlLoss,
  l: number[],
  q: number[],
  a: number[],
  w: number[],
  t: number,
): number {
  const h = 1e-6;
  const term = (x: number) => rlTerms(loss, [x], [q[t]!], [a[t]!], [w[t]!]).loss;
  return (term(l[t]! + h) - term(l[t]! - h)) / (2 * h);
}

describe("rlTerms", () => {
  // Ratios r = exp(ℓ − q): 0.6 (below 0.8), 0.95 (inside), 1.5 (above 1.2), e^25 (beyond the clamp), for A > 0,
  // A < 0 and A = 0, with weights that scale, mask and flip.
  const deltas = [Math.log(0.6), Math.log(0.95), Math.log(1.5), 25];
  const advantages = [0.7, -1.3, 0];
  const weights = [1, 0.5, 0, -2];
  const l: number[] = [];
  const q: number[] = [];
  const a: number[] = [];
  const w: number[] = [];
  for (const delta of deltas) {
    for (const adv of advantages) {
      for (const weight of weights) {
        l.push(-1.25);
        q.push(-1.25 - delta);
        a.push(adv);
        w.push(weight);
      }
    }
  }

  for (const loss of [{ kind: "importance_sampling" }, { kind: "ppo", low: 0.8, high: 1.2 }] as RlLoss[]) {
    it(`${loss.kind}: learner weights are minus the loss's derivative in each log-prob`, () => {
      const { learnerWeights } = rlTerms(loss, l, q, a, w);
      for (let t = 0; t < l.length; t++) {
        // Beyond e^25 the exact derivative is huge for importance_sampling; compare relatively.
        const expected = -finiteDifference(loss, l, q, a, w, t);
        const scale = Math.max(1, Math.abs(expected));
        expect(Math.abs(learnerWeights[t]! - expected) / scale, `position ${t}`).toBeLessThan(1e-6);
      }
    });
  }

  it("ppo: the clipped branch and the clamp carry no gradient; the loss is the spec's formula", () => {
    const ppo: RlLoss = { kind: "ppo", low: 0.8, high: 1.2 };
    const one = (delta: number, adv: number) => rlTerms(ppo, [0], [-delta], [adv], [1]);
    expect(one(Math.log(1.5), 1).learnerWeights[0]).toBe(0); // A > 0, r > 1.2: clipped
    expect(one(Math.log(0.6), -1).learnerWeights[0]).toBe(0); // A < 0, r < 0.8: clipped
    expect(one(Math.log(1.5), -1).learnerWeights[0]).toBeCloseTo(-1.5, 12); // A < 0, r > 1.2: unclipped
    expect(one(25, -1).learnerWeights[0]).toBe(0); // beyond the ±20 clamp
    expect(one(Math.log(1.5), 1).loss).toBeCloseTo(-1.2, 12);
    expect(one(25, -1).loss).toBeCloseTo(Math.exp(20), 0);
  });
});
