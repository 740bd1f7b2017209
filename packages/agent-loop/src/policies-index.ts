export {
  countImages,
  GENERATION_PROMPT,
  IM_END,
  IM_START,
  IMAGE_PLACEHOLDER,
  renderQwenChat,
} from "./chat-template";
export {
  type EndpointCallOptions,
  EndpointPool,
  type EndpointPoolOptions,
  type EndpointState,
  type RetryEvent,
} from "./endpoint-pool";
export {
  type BackoffSettings,
  backoffDelayMs,
  classifyFailure,
  type FailureKind,
  retryAfterMs,
} from "./endpoint-retry";
export { isHttpUrl } from "./http-url";
export { imageUrlOf, toOpenAIMessages, toolImageUrl } from "./openai-chat-messages";
export { OpenAIChatPolicy, type OpenAIChatPolicyOptions } from "./openai-chat-policy";
export {
  OpenAICompletionsPolicy,
  type OpenAICompletionsPolicyOptions,
  type PolicyTokenizer,
} from "./openai-completions-policy";
export { type OpenAIEndpointOptions, OpenAIEndpoints, type PolicyCallOptions } from "./openai-endpoints";
export { OpenAIPolicyError, type OpenAIPolicyErrorCode } from "./openai-policy-error";
export { policyOutage } from "./policy-outage";
