import { tf } from "@hdpo/tensor";
import { headDimOf, type ModelConfig, ModelConfigSchema } from "../model-config";
import type { DecoderModel } from "./decoder-model";
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

/** One plain training step on one thread (mean NLL of the responses, `optimizer.minimize`), as a bench body. */
export function plainTrainingStep(
  model: DecoderModel,
  optimizer: tf.Optimizer,
  batch: SequenceBatch,
): () => void {
  return () => {
    const loss = optimizer.minimize(
      () => {
        const { logProbs, mask } = model.logProbs(batch);
        return tf.div(tf.neg(tf.sum(logProbs)), tf.sum(mask)) as tf.Scalar;
      },
      true,
      model.trainableVariables(),
    );
    loss?.dataSync();
    loss?.dispose();
  };
}

/** The model of the trainer's `default` preset (its vocabulary as asked of the tokenizer), for the benchmarks. */
export const DEFAULT_PRESET_CONFIG = ModelConfigSchema.parse({
  vocab_size: 1024,
  hidden_size: 64,
  intermediate_size: 192,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 1024,
});

/**
 * Multiply-adds in the matrix products of one training step (forward and backward) on `rows × time` tokens, with
 * attention counted dense (every query against every key, as batched matMuls compute it) and the LM head at every
 * position; the embedding is a lookup, not a product. Divided by the machine's matMul rate, the time a step cannot
 * beat on one thread.
 */
export function trainingStepMultiplyAdds(config: ModelConfig, rows: number, time: number): number {
  const tokens = rows * time;
  const d = config.hidden_size;
  const headDim = headDimOf(config);
  const queryWidth = config.num_attention_heads * headDim;
  const keyWidth = config.num_key_value_heads * headDim;
  // q, k, v, o projections and the SwiGLU MLP (gate, up, down), per token.
  const linearPerToken =
    d * queryWidth + 2 * d * keyWidth + queryWidth * d + 3 * d * config.intermediate_size;
  // q·kᵀ and p·v per layer, every query head against every key of its row.
  const attentionPerLayer = 2 * rows * config.num_attention_heads * time * time * headDim;
  const head = tokens * d * config.vocab_size;
  const forward = config.num_hidden_layers * (tokens * linearPerToken + attentionPerLayer) + head;
  // Each product's backward is two products (input and weight gradients); attention's is four (dP, dq, dk, dv).
  const backward =
    config.num_hidden_layers * (2 * tokens * linearPerToken + 2 * attentionPerLayer) + 2 * head;
  return forward + backward;
}
