import { DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES } from "@hdpo/agent-loop";
import type { ErrorPolicy } from "@hdpo/judge";

/** Everything a run is configured with; `config.json` holds it without the API keys. */
export interface RunConfig {
  /** The dataset file. */
  data: string;
  /** The run folder. */
  out: string;
  /** The model's OpenAI-compatible base URL. */
  baseUrl: string;
  /** The model id; the first id of `GET /models` when omitted. */
  model?: string;
  apiKey?: string;
  /** `local`, `none`, or a tool server URL. */
  tools: string;
  /** `rules`, or a judge base URL (rules first, the LLM for the rest). */
  judge: string;
  judgeModel?: string;
  judgeApiKey?: string;
  judgeErrorPolicy: ErrorPolicy;
  concurrency: number;
  /** Tool calls executed at most per item (the reference's max_turns). */
  maxTurns: number;
  temperature: number;
  /** Tokens per generation at most. */
  maxTokens: number;
  /** Evaluate only the first N items of the dataset. */
  limit?: number;
  /** Native OpenAI tool_calls instead of the text protocol. */
  nativeTools: boolean;
  /** Per-request timeout of the model endpoint. */
  requestTimeoutMs?: number;
  /**
   * Items in a row that one service (tool server, model endpoint, judge) may fail before the run stops; such items
   * are never scored and are retried on resume.
   */
  maxInfraFailures: number;
}

/** Defaults of the optional flags. */
export const RUN_DEFAULTS = {
  tools: "local",
  judge: "rules",
  judgeErrorPolicy: "exclude" as ErrorPolicy,
  concurrency: 16,
  maxTurns: 10,
  temperature: 0,
  maxTokens: 4096,
  nativeTools: false,
  maxInfraFailures: DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES,
} satisfies Partial<RunConfig>;

/** The config as written to `config.json`: API keys never leave the process. */
export function publicConfig(config: RunConfig): Omit<RunConfig, "apiKey" | "judgeApiKey"> {
  const { apiKey: _apiKey, judgeApiKey: _judgeApiKey, ...rest } = config;
  return rest;
}
