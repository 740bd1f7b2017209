export { charTokenizer, MULTI_CHAR_TOKENS } from "./char-tokenizer";
export {
  defaultLogProb,
  type GeneratedToken,
  type Generation,
  type ScriptedReply,
  type ScriptedToolCall,
} from "./scripted-generation";
export {
  createTestOpenAIServer,
  type RecordedRequest,
  type ScriptedFailure,
  type TestOpenAIServer,
  type TestOpenAIServerOptions,
} from "./test-openai-server";
