import { createJudge, type Judge, LlmJudge } from "@hdpo/judge";
import { SUITE_NUMERIC_TOLERANCE } from "@hdpo/tasks";
import type { RunConfig } from "./run-config";

/**
 * The judge `config.judge` names: the rule verifiers (with the suite's numeric tolerance) decide what they can; an
 * LLM judge at `judge.baseUrl`, when set, decides the rest (its key from `JUDGE_API_KEY`, as in the reference).
 */
export function createRunJudge(config: RunConfig): Judge {
  const { baseUrl, model, errorPolicy, timeoutS, concurrency } = config.judge;
  const llm =
    baseUrl === undefined
      ? undefined
      : new LlmJudge({
          baseURL: baseUrl,
          ...(model === undefined ? {} : { model }),
          timeoutMs: Math.round(timeoutS * 1000),
          concurrency,
        });
  return createJudge({
    tolerance: SUITE_NUMERIC_TOLERANCE,
    errorPolicy,
    ...(llm === undefined ? {} : { llm }),
  });
}
