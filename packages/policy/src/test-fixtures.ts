import { DecoderModel } from "./model/decoder-model";
import { ModelConfigSchema } from "./model-config";
import { ByteLevelBpeTokenizer } from "./tokenizer/byte-level-bpe-tokenizer";

// Test-only fixtures shared by the package's tests; not exported from the package.

const corpus = [
  "<reason>The tool is not needed here.</reason><answer>42</answer>",
  "The quick brown fox jumps over the lazy dog. Hello world, hello policy.",
  '<reason>Compute it.</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}</tool_call>',
  "Code execution result:\nstdout:\n```\n42\n```\n",
];

/** A real tokenizer trained on a small corpus (about 300 ids). */
export function trainTestTokenizer(): ByteLevelBpeTokenizer {
  return ByteLevelBpeTokenizer.train(
    Array.from({ length: 20 }, (_, i) => corpus[i % corpus.length]!),
    { vocabSize: 320 },
  );
}

/** A real, randomly initialised (seeded) tiny decoder whose vocabulary fits `tokenizer`. */
export function createTestModel(tokenizer: ByteLevelBpeTokenizer, maxPositions = 96): DecoderModel {
  const config = ModelConfigSchema.parse({
    vocab_size: tokenizer.vocabSize,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: maxPositions,
    eos_token_id: tokenizer.eosTokenIds[0],
  });
  return DecoderModel.create(config, { seed: 7 });
}
