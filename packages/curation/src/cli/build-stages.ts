import { OpenAIChatPolicy } from "@hdpo/agent-loop";
import { createJudge, type Judge, LlmJudge, type LlmJudgeOptions } from "@hdpo/judge";
import { createHygieneStage } from "../stages/hygiene-stage";
import { createJudgeStage } from "../stages/judge-stage";
import { createMixedStage } from "../stages/mixed-stage";
import { createNecessityStage } from "../stages/necessity-stage";
import { createReexecStage } from "../stages/reexec-stage";
import type { Stage } from "../stages/stage";
import type { CliOptions } from "./parse-cli";

/** The stages a command line asks for, and the settings that must match on resume. */
export function buildStages(options: CliOptions): { stages: Stage[]; settings: Record<string, unknown> } {
  const policy =
    options.baseUrl === undefined
      ? undefined
      : new OpenAIChatPolicy({
          baseURL: options.baseUrl,
          ...(options.model === undefined ? {} : { model: options.model }),
          ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
          logprobs: false,
        });
  const answers: Judge | undefined =
    options.judgeBaseUrl === undefined
      ? undefined
      : createJudge({ llm: new LlmJudge(llmJudgeOptions(options)) });
  const stages: Stage[] = [];
  const settings: Record<string, unknown> = {};
  for (const name of options.filters) {
    switch (name) {
      case "hygiene":
        stages.push(createHygieneStage());
        break;
      case "reexec":
        stages.push(
          createReexecStage({ concurrency: options.concurrency, tolerance: { relative: options.tolerance } }),
        );
        settings.tolerance = options.tolerance;
        break;
      case "necessity":
        stages.push(
          createNecessityStage({
            policy: policy!,
            k: options.k,
            concurrency: options.concurrency,
            ...(answers && { judge: answers }),
          }),
        );
        settings.k = options.k;
        break;
      case "mixed":
        stages.push(
          createMixedStage({
            policy: policy!,
            k: options.k,
            band: options.band,
            concurrency: options.concurrency,
            ...(answers && { judge: answers }),
          }),
        );
        settings.k = options.k;
        settings.band = options.band;
        break;
      case "judge":
        stages.push(
          createJudgeStage({
            baseURL: options.judgeBaseUrl!,
            ...(options.judgeModel === undefined ? {} : { model: options.judgeModel }),
            ...(options.judgeApiKey === undefined ? {} : { apiKey: options.judgeApiKey }),
            concurrency: options.concurrency,
            thresholds: {
              visual_relevance: options.thresholds[0],
              reasoning_coherence: options.thresholds[1],
              tool_use_rationale: options.thresholds[2],
            },
          }),
        );
        settings.thresholds = options.thresholds;
        break;
    }
  }
  return { stages, settings };
}

function llmJudgeOptions(options: CliOptions): LlmJudgeOptions {
  return {
    baseURL: options.judgeBaseUrl!,
    ...(options.judgeModel === undefined ? {} : { model: options.judgeModel }),
    ...(options.judgeApiKey === undefined ? {} : { apiKey: options.judgeApiKey }),
  };
}
