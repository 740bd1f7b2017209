// Fixtures for downstream tests (the learner, the learner server, the agent loop): a real tokenizer and a tiny
// seeded decoder in milliseconds.
export {
  createTestModel,
  TEST_CORPUS,
  type TestModelOptions,
  type TestTokenizerOptions,
  trainTestTokenizer,
} from "./test-fixtures";
