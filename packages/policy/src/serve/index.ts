export { type ChatTokenLogProb, handleChatCompletion } from "./chat-completions";
export { type ChoiceText, choiceText } from "./choice-text";
export { type CliIo, type CliResult, main as serveMain, USAGE as SERVE_USAGE } from "./cli";
export { type CompletionPrompts, type PromptLimits, parseCompletionPrompts } from "./completion-prompts";
export { type CompletionLogProbs, handleCompletion } from "./completions";
export {
  type GenerateFunction,
  GenerationBatcher,
  type GenerationBatcherOptions,
  type GenerationJob,
  type SamplingSettings,
} from "./generation-batcher";
export { OpenAiApiError, type OpenAiErrorType } from "./openai-api-error";
export { createPolicyServer, type PolicyServer, type PolicyServerOptions } from "./policy-server";
export type { GenerationDefaults } from "./server-context";
export {
  type ServerTokenizer,
  samplingLogProbs,
  type TokenLogProb,
  tokenLabel,
  tokenText,
  topLogProbs,
} from "./token-log-probs";
