import { randomUUID } from "node:crypto";
import { InfrastructureError, runTrajectory } from "@hdpo/agent-loop";
import type { Policy } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import { systemPrompt as toolSystemPrompt } from "@hdpo/tasks";
import {
  createToolRuntime,
  InProcessToolExecutor,
  openAITools,
  type ToolRuntime,
  type ToolRuntimeOptions,
} from "@hdpo/tools";
import { CurationError } from "../curation-error";
import { Limiter } from "../pipeline/limiter";
import { rowTask } from "../rows/curation-row";
import type { StageDecision } from "../rows/row-decision";
import { answerJudge, checkAnswer } from "./answer-check";
import type { Stage } from "./stage";
import { withDataUriImages } from "./task-images";

/** Options of {@link createMixedStage}. */
export interface MixedOptions {
  policy: Policy;
  /** Rollouts per task. Default 8. */
  k?: number;
  /** Success rates strictly inside (low, high) are kept. Default [0, 1]. */
  band?: readonly [number, number];
  /** Rollouts at once. Default 8. */
  concurrency?: number;
  judge?: Judge;
  /** Tool calls per rollout at most. Default 10 (the reference). */
  maxTurns?: number;
  /** Response-token budget per rollout. Default 4096. */
  maxResponseTokens?: number;
  temperature?: number;
  runtime?: ToolRuntime;
  runtimeOptions?: ToolRuntimeOptions;
}

/**
 * Mixed outcome for RL: k rollouts with tools through the agent loop (tools in-process); prompts whose success
 * rate is 0 or 1 give GRPO/HDPO no signal and are dropped. Records `mixedSuccessRate` on every decided row. An
 * outage of the model endpoint or the judge rejects with an InfrastructureError (the row is left for the next run).
 */
export function createMixedStage(options: MixedOptions): Stage {
  const k = options.k ?? 8;
  if (!Number.isInteger(k) || k < 1)
    throw new CurationError(`mixed: k must be a positive integer, got ${k}.`);
  const [low, high] = options.band ?? [0, 1];
  if (!(low >= 0 && high <= 1 && low < high)) {
    throw new CurationError(`mixed: the band must satisfy 0 <= low < high <= 1, got ${low},${high}.`);
  }
  const concurrency = options.concurrency ?? 8;
  const rollouts = new Limiter(concurrency);
  const judge = answerJudge(options.judge);
  let runtime: Promise<ToolRuntime> | undefined;
  const getRuntime = () => {
    runtime ??= options.runtime
      ? Promise.resolve(options.runtime)
      : createToolRuntime({
          workers: Math.min(concurrency, 4),
          maxSessions: concurrency,
          ...options.runtimeOptions,
        });
    return runtime;
  };
  return {
    name: "mixed",
    concurrency,
    services: options.judge === undefined ? ["model"] : ["model", "judge"],
    async process(row, context): Promise<StageDecision> {
      const task = rowTask(row);
      if (task === undefined)
        return { keep: false, reason: "missing-task", detail: "the row has no task to roll out" };
      const tools = await getRuntime();
      const executor = new InProcessToolExecutor(tools);
      const prompt = toolSystemPrompt({
        tools: openAITools(tools.registry).filter((t) => t.function.name === "python"),
      });
      const full = await withDataUriImages(task, context.baseDir);
      let correct = 0;
      try {
        const results = await Promise.all(
          Array.from({ length: k }, (_, rolloutIndex) =>
            rollouts.run(async () => {
              const trajectory = await runTrajectory(full, {
                policy: options.policy,
                tools: executor,
                systemPrompt: prompt,
                rolloutIndex,
                trajectoryId: `curate-${randomUUID().replaceAll("-", "")}`,
                maxTurns: options.maxTurns ?? 10,
                maxResponseTokens: options.maxResponseTokens ?? 4096,
                sampling: { temperature: options.temperature ?? 1 },
                ...(context.signal === undefined ? {} : { signal: context.signal }),
              });
              if (trajectory.finishReason === "error")
                throw new Error(trajectory.error ?? "the rollout failed");
              return checkAnswer(judge, task, trajectory.answer);
            }),
          ),
        );
        for (const result of results) {
          if ("error" in result)
            return { keep: false, error: true, reason: "judge-error", detail: result.error };
          if (result.correct) correct++;
        }
      } catch (error) {
        if (error instanceof InfrastructureError) throw error;
        return { keep: false, error: true, reason: "rollout-error", detail: (error as Error).message };
      }
      const rate = correct / k;
      const annotations = { mixedSuccessRate: rate };
      if (rate <= low)
        return { keep: false, reason: "all-wrong", detail: `${correct}/${k} rollouts correct`, annotations };
      if (rate >= high)
        return {
          keep: false,
          reason: "all-correct",
          detail: `${correct}/${k} rollouts correct`,
          annotations,
        };
      return { keep: true, annotations };
    },
    async close() {
      if (options.runtime === undefined && runtime !== undefined) await (await runtime).shutdown();
    },
  };
}
