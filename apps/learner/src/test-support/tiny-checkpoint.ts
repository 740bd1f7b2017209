import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ByteLevelBpeTokenizer, DecoderModel, ModelConfigSchema, savePolicy } from "@hdpo/policy";
import { testBackend } from "./learner-fixture";

// Test-only: a real tokenizer and a real (tiny, seeded) decoder saved as a Hugging Face checkpoint folder.

const corpus = [
  "<reason>The tool is not needed here.</reason><answer>42</answer>",
  "The quick brown fox jumps over the lazy dog. Hello world, hello learner.",
  '<reason>Compute it.</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}</tool_call>',
];

export interface TinyCheckpoint {
  /** The temporary folder holding `model/` (the checkpoint) and room for state directories. */
  root: string;
  directory: string;
  tokenizer: ByteLevelBpeTokenizer;
  remove(): Promise<void>;
}

/** Writes a tiny checkpoint (vocabulary about 300, hidden size 16, one layer, 64 positions) into a temp folder. */
export async function tinyCheckpoint(): Promise<TinyCheckpoint> {
  await testBackend();
  const root = await mkdtemp(join(tmpdir(), "hdpo-learner-"));
  const directory = join(root, "tiny-model");
  const tokenizer = ByteLevelBpeTokenizer.train(
    Array.from({ length: 12 }, (_, i) => corpus[i % corpus.length]!),
    { vocabSize: 300 },
  );
  const config = ModelConfigSchema.parse({
    vocab_size: tokenizer.vocabSize,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 64,
    eos_token_id: tokenizer.eosTokenIds[0],
  });
  const model = DecoderModel.create(config, { seed: 7 });
  await savePolicy(directory, { model, tokenizer });
  model.dispose();
  return { root, directory, tokenizer, remove: () => rm(root, { recursive: true, force: true }) };
}
