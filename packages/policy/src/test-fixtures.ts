import { DecoderModel } from "./model/decoder-model";
import { ModelConfigSchema } from "./model-config";
import { ByteLevelBpeTokenizer } from "./tokenizer/byte-level-bpe-tokenizer";

// Test-only fixtures: the package's own tests import them here, other packages' tests through `@hdpo/policy/testing`.

/** Texts in the shapes the policy meets (reason, answer, tool call, tool result). */
export const TEST_CORPUS: readonly string[] = [
  "<reason>The tool is not needed here.</reason><answer>42</answer>",
  "The quick brown fox jumps over the lazy dog. Hello world, hello policy.",
  '<reason>Compute it.</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}</tool_call>',
  "Code execution result:\nstdout:\n```\n42\n```\n",
];

/** What {@link trainTestTokenizer} trains on; each test keeps the numbers its assertions were written against. */
export interface TestTokenizerOptions {
  /** The texts, cycled through. Default {@link TEST_CORPUS}. */
  corpus?: readonly string[];
  /** How many texts the tokenizer is trained on (the corpus repeated in turn). Default 20. */
  documents?: number;
  /** Default 320. */
  vocabSize?: number;
}

/** A real tokenizer trained on a small corpus (about 300 ids by default). */
export function trainTestTokenizer(options: TestTokenizerOptions = {}): ByteLevelBpeTokenizer {
  const { corpus = TEST_CORPUS, documents = 20, vocabSize = 320 } = options;
  return ByteLevelBpeTokenizer.train(
    Array.from({ length: documents }, (_, i) => corpus[i % corpus.length]!),
    { vocabSize },
  );
}

/** The shape and initialisation of {@link createTestModel}'s decoder. */
export interface TestModelOptions {
  /** Default 96. */
  maxPositions?: number;
  /** Initialisation seed. Default 7. */
  seed?: number;
}

/** A real, randomly initialised (seeded) tiny decoder (hidden size 16, one layer) whose vocabulary fits `tokenizer`. */
export function createTestModel(
  tokenizer: ByteLevelBpeTokenizer,
  options: TestModelOptions = {},
): DecoderModel {
  const { maxPositions = 96, seed = 7 } = options;
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
  return DecoderModel.create(config, { seed });
}
