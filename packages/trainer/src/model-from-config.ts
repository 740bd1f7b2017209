import { type ByteLevelBpeTokenizer, DecoderModel, ModelConfigSchema } from "@hdpo/policy";
import type { ModelSizes } from "./trainer-config";

/** A freshly initialised (seeded) decoder of the configured sizes whose vocabulary fits `tokenizer`. */
export function createModel(sizes: ModelSizes, tokenizer: ByteLevelBpeTokenizer): DecoderModel {
  const config = ModelConfigSchema.parse({
    vocab_size: tokenizer.vocabSize,
    hidden_size: sizes.hiddenSize,
    intermediate_size: sizes.intermediateSize,
    num_hidden_layers: sizes.layers,
    num_attention_heads: sizes.attentionHeads,
    num_key_value_heads: sizes.keyValueHeads,
    max_position_embeddings: sizes.maxPositions,
    eos_token_id: tokenizer.eosTokenIds[0],
  });
  return DecoderModel.create(config, { seed: sizes.seed });
}
