export { CHOICE_LETTERS, choiceLetter, matchChoice } from "./choice-match";
export { ConcurrencyLimiter } from "./concurrency-limiter";
export {
  createJudge,
  type Judge,
  type JudgeInput,
  type JudgeMetrics,
  type JudgeOptions,
  type ScoredVerdict,
} from "./create-judge";
export { applyErrorPolicy, ERROR_POLICIES, type ErrorPolicy, type PolicyResult } from "./error-policy";
export { matchExact } from "./exact-match";
export {
  DEFAULT_JUDGE_API_KEY,
  DEFAULT_JUDGE_BASE_URL,
  type JudgeEndpoint,
  judgeEndpointFromEnv,
} from "./judge-endpoint";
export { JudgeError } from "./judge-error";
export { isJudgeOutage } from "./judge-outage";
export {
  buildJudgePrompt,
  JUDGE_SYSTEM_PROMPT,
  type JudgePromptInput,
  parseJudgeReply,
} from "./judge-prompt";
export type { LatencySummary } from "./latency-window";
export {
  type JudgeErrorKind,
  LlmJudge,
  type LlmJudgeInput,
  type LlmJudgeMetrics,
  type LlmJudgeOptions,
} from "./llm-judge";
export { DEFAULT_NUMERIC_TOLERANCE, matchNumeric, type NumericTolerance } from "./numeric-match";
export { type ParsedNumber, parseNumber } from "./parse-number";
export type { RuleOutcome } from "./rule-outcome";
export type { Verdict } from "./verdict";
export { VerdictCache, type VerdictCacheKey } from "./verdict-cache";
export { type RuleDecision, type RuleInput, type RuleName, verifyByRules } from "./verify-by-rules";
export { matchYesNo, polarity } from "./yes-no-match";
