import { ModelConfigSchema } from "../model-config";
import type { SequenceBatch } from "./log-probs";
import { Prng } from "./prng";

/**
 * The training-step case, shared by the benchmarks so that one thread and data parallelism are measured
 * on the same model and tokens: 2 layers, hidden 64, 4 heads over 2 key/value heads, vocab 512.
 */
export const TRAINING_STEP_CONFIG = ModelConfigSchema.parse({
  vocab_size: 512,
  hidden_size: 64,
  intermediate_size: 172,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 512,
});

/** 32 × 128 random tokens (seeded), each row with a 16-token prompt. */
export function trainingStepBatch(rows = 32, time = 128, prompt = 16): SequenceBatch {
  const prng = new Prng(7);
  return {
    sequences: Array.from({ length: rows }, () =>
      Array.from({ length: time }, () => Math.floor(prng.next() * TRAINING_STEP_CONFIG.vocab_size)),
    ),
    promptLengths: Array.from({ length: rows }, () => prompt),
  };
}
