import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ByteLevelBpeTokenizer, savePolicy } from "@hdpo/policy";
import { createTestModel, TEST_CORPUS, trainTestTokenizer } from "@hdpo/policy/testing";
import { testBackend } from "./learner-fixture";

// Test-only: a real tokenizer and a real (tiny, seeded) decoder saved as a Hugging Face checkpoint folder.

// The shared texts with this app's own second one ("hello learner", which its tests encode), so that the
// tokenizer the server tests were written against stays the same.
const corpus = [
  TEST_CORPUS[0]!,
  "The quick brown fox jumps over the lazy dog. Hello world, hello learner.",
  TEST_CORPUS[2]!,
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
  const tokenizer = trainTestTokenizer({ corpus, documents: 12, vocabSize: 300 });
  const model = createTestModel(tokenizer, { maxPositions: 64, seed: 7 });
  await savePolicy(directory, { model, tokenizer });
  model.dispose();
  return { root, directory, tokenizer, remove: () => rm(root, { recursive: true, force: true }) };
}
