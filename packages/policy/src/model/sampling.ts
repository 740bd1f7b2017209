import type { Prng } from "./prng";

/** How the next token is chosen from the logits. */
export interface SamplingOptions {
  /** 0 picks the most likely token (greedy); otherwise the logits are divided by it. */
  temperature: number;
  /** Nucleus sampling: keep the most likely tokens whose probabilities first reach `topP` (1 keeps all). */
  topP: number;
}

/** A chosen token and its log-probability under the distribution it was drawn from. */
export interface SampledToken {
  token: number;
  logProb: number;
}

/**
 * Draws one token from `logits` (float64 arithmetic). The returned `logProb` is the log-probability of the
 * token under the distribution actually sampled from: softmax(logits / temperature), restricted to the
 * top-p nucleus and renormalised over it. Greedy (temperature 0) samples from a point mass, so its
 * logProb is 0; ties go to the lowest id.
 *
 * The nucleus is the smallest set of most likely tokens (sorted by probability, ties by id) whose
 * cumulative probability reaches `topP`, as in transformers' TopPLogitsWarper (which removes tokens whose
 * cumulative probability before them already reaches top_p).
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, prng: Prng): SampledToken {
  const vocab = logits.length;
  if (options.temperature === 0) {
    let best = 0;
    for (let i = 1; i < vocab; i++) if (logits[i]! > logits[best]!) best = i;
    return { token: best, logProb: 0 };
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[i]! / options.temperature);
  const weights = new Float64Array(vocab);
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    weights[i] = Math.exp(logits[i]! / options.temperature - max);
    total += weights[i]!;
  }
  let candidates: number[];
  let kept = total;
  if (options.topP < 1) {
    const order = Array.from({ length: vocab }, (_, i) => i).sort(
      (a, b) => weights[b]! - weights[a]! || a - b,
    );
    candidates = [];
    kept = 0;
    for (const i of order) {
      candidates.push(i);
      kept += weights[i]!;
      if (kept >= options.topP * total) break;
    }
  } else {
    candidates = Array.from({ length: vocab }, (_, i) => i);
  }
  const target = prng.next() * kept;
  let cumulative = 0;
  let token = candidates[candidates.length - 1]!;
  for (const i of candidates) {
    cumulative += weights[i]!;
    if (target < cumulative) {
      token = i;
      break;
    }
  }
  return { token, logProb: Math.log(weights[token]!) - Math.log(kept) };
}
