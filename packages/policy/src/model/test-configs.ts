import { type ModelConfig, ModelConfigSchema, parameterShapes } from "../model-config";
import type { PlainWeight } from "./decoder-model";
import { Prng } from "./prng";

/** A tiny grouped-query config (4 query heads over 2 key/value heads) with q/k/v biases and a tied head. */
export const TINY_GQA: ModelConfig = ModelConfigSchema.parse({
  vocab_size: 37,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  eos_token_id: 2,
});

/** The same sizes with an untied LM head, no attention bias, one key/value head per query head. */
export const TINY_UNTIED: ModelConfig = ModelConfigSchema.parse({
  vocab_size: 29,
  hidden_size: 12,
  intermediate_size: 20,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rope_theta: 500,
  tie_word_embeddings: false,
  attention_bias: false,
});

/**
 * Weights for `config` where every parameter matters: matrices normal(0, 0.3) (large enough that attention
 * is far from uniform), norms 1 ± 0.5 and biases normal(0, 0.3), so a test notices a norm or bias that is
 * ignored or misplaced.
 */
export function randomWeights(config: ModelConfig, seed: number): Map<string, PlainWeight> {
  const prng = new Prng(seed);
  const weights = new Map<string, PlainWeight>();
  for (const [name, shape] of parameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNorm = name.endsWith("norm.weight");
    for (let i = 0; i < data.length; i++) data[i] = (isNorm ? 1 : 0) + prng.normal() * (isNorm ? 0.5 : 0.3);
    weights.set(name, { shape, data });
  }
  return weights;
}

/** `log softmax(row)` in float64. */
export function logSoftmax64(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const logSum = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - logSum);
}

/** The largest |a − b| over two equally shaped nested arrays. */
export function maxAbsDiff(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return Number.POSITIVE_INFINITY;
    return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i])), 0);
  }
  return Math.abs((a as number) - (b as number));
}
