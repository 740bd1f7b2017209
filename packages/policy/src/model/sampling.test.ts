import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveSeed, Prng } from "./prng";
import { sampleToken } from "./sampling";

describe("Prng", () => {
  it("is reproducible for a seed, differs between seeds, and stays in [0, 1)", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // Mean of 1000 uniforms: 0.5 ± 0.009 (1σ); 0.05 is > 5σ.
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05);
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
    expect(deriveSeed(1, 0)).toBe(deriveSeed(1, 0));
  });
});

describe("sampleToken", () => {
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];

  it("greedy picks the largest logit (lowest id on ties) with log-prob 0", () => {
    expect(sampleToken([1, 3, 3, 2], { temperature: 0, topP: 1 }, new Prng(1))).toEqual({
      token: 1,
      logProb: 0,
    });
  });

  it("top-p keeps the smallest most-likely set reaching p and renormalises over it", () => {
    // p = 0.6: 0.5 < 0.6, 0.5 + 0.3 = 0.8 ≥ 0.6 → nucleus {0, 1}, renormalised 0.625 / 0.375.
    const counts = [0, 0, 0];
    let worst = 0;
    const prng = new Prng(7);
    for (let i = 0; i < 20_000; i++) {
      const { token, logProb } = sampleToken(logits, { temperature: 1, topP: 0.6 }, prng);
      counts[token]!++;
      worst = Math.max(worst, Math.abs(logProb - Math.log(token === 0 ? 0.625 : 0.375)));
    }
    expect(worst).toBeLessThan(1e-12);
    expect(counts[2]).toBe(0);
    // 20000 draws at 0.625: σ ≈ 0.0034, so ±0.02 is ~6σ.
    expect(Math.abs(counts[0]! / 20_000 - 0.625)).toBeLessThan(0.02);
  });

  it("with top-p 1 samples softmax(logits / T) and reports that log-prob", () => {
    // T = 2: weights √0.5 : √0.3 : √0.2 = 0.7071 : 0.5477 : 0.4472 (sum 1.7020).
    const expected = [Math.sqrt(0.5), Math.sqrt(0.3), Math.sqrt(0.2)].map((w) => w / 1.702043);
    const counts = [0, 0, 0];
    let worst = 0;
    const prng = new Prng(8);
    for (let i = 0; i < 20_000; i++) {
      const { token, logProb } = sampleToken(logits, { temperature: 2, topP: 1 }, prng);
      counts[token]!++;
      worst = Math.max(worst, Math.abs(logProb - Math.log(expected[token]!)));
    }
    expect(worst).toBeLessThan(1e-6);
    counts.forEach((c, i) => {
      expect(Math.abs(c / 20_000 - expected[i]!)).toBeLessThan(0.02);
    });
  });

  it("always returns a token of the nucleus with a finite log-prob ≤ 0 (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.05, max: 5, noNaN: true }),
        fc.integer(),
        (row, topP, temperature, seed) => {
          const { token, logProb } = sampleToken(row, { temperature, topP }, new Prng(seed));
          expect(token).toBeGreaterThanOrEqual(0);
          expect(token).toBeLessThan(row.length);
          expect(Number.isFinite(logProb)).toBe(true);
          expect(logProb).toBeLessThanOrEqual(1e-12);
          expectInNucleus(row, token, topP, temperature);
        },
      ),
    );
  });

  it("treats logits equal to float resolution as a tie (shrunk counterexample)", () => {
    // 29.99999999999999 and 29.999999999999993 differ by one ulp; divided by T = 0.05 they may round to the
    // same value, so either may be "the most likely" token of a 1% nucleus.
    const row = [29.99999999999999, 29.999999999999993, 0];
    for (let seed = 0; seed < 20; seed++) {
      const { token, logProb } = sampleToken(row, { temperature: 0.05, topP: 0.01 }, new Prng(seed));
      expect(token === 0 || token === 1).toBe(true);
      expect(logProb).toBeLessThanOrEqual(1e-12);
      expectInNucleus(row, token, 0.01, 0.05);
    }
  });
});

/**
 * The token is in the nucleus: the mass of tokens clearly more likely than it is below topP. "Clearly" means
 * by more than float resolution: the sampler divides by T before subtracting the max, this check after, and
 * logits one ulp apart may order either way.
 */
function expectInNucleus(row: number[], token: number, topP: number, temperature: number): void {
  const weights = row.map((z) => Math.exp((z - Math.max(...row)) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  const resolution = 1e-9 * weights[token]!;
  const above = weights.filter((w) => w > weights[token]! + resolution).reduce((a, b) => a + b, 0);
  expect(above / total).toBeLessThan(topP + 1e-12);
}
