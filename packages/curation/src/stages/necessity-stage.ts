import { buildPromptMessages, InfrastructureError, policyOutage } from "@hdpo/agent-loop";
import type { Message, Policy, Task } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import { extractAnswer } from "@hdpo/rewards";
import { CurationError } from "../curation-error";
import { Limiter } from "../pipeline/limiter";
import { rowTask } from "../rows/curation-row";
import type { StageDecision } from "../rows/row-decision";
import { answerJudge, checkAnswer } from "./answer-check";
import type { Stage } from "./stage";
import { withDataUriImages } from "./task-images";

/** The system message of the no-tool attempts: no tools are offered, the answer goes in `<answer>` tags. */
export const NO_TOOLS_SYSTEM_PROMPT =
  "You are a careful problem solver. No tools are available. Think briefly, then give only the final answer inside <answer></answer>.";

/** Options of {@link createNecessityStage}. */
export interface NecessityOptions {
  /** The base model (e.g. an `OpenAIChatPolicy`). */
  policy: Policy;
  /** Attempts per task. Default 8 (the reference's pass8). */
  k?: number;
  /** Model calls at once. Default 8. */
  concurrency?: number;
  /** Decides whether an attempt is right; default the rule verifiers of `@hdpo/judge`. */
  judge?: Judge;
  systemPrompt?: string;
  temperature?: number;
  maxTokens?: number;
}

/**
 * Tool necessity (pass@k without tools): k attempts of the base model without tools; a task solved every time
 * (pass rate 1) does not need tools and is dropped. Every decided row records `passK` (and `pass<k>`, the
 * reference's `extra_info.pass8` for k = 8). A failed model call is an error, never a wrong answer; an outage of
 * the model endpoint or the judge rejects with an InfrastructureError (the row is left for the next run).
 */
export function createNecessityStage(options: NecessityOptions): Stage {
  const k = options.k ?? 8;
  if (!Number.isInteger(k) || k < 1)
    throw new CurationError(`necessity: k must be a positive integer, got ${k}.`);
  const concurrency = options.concurrency ?? 8;
  const calls = new Limiter(concurrency);
  const judge = answerJudge(options.judge);
  return {
    name: "necessity",
    concurrency,
    services: options.judge === undefined ? ["model"] : ["model", "judge"],
    async process(row, context): Promise<StageDecision> {
      const task = rowTask(row);
      if (task === undefined)
        return { keep: false, reason: "missing-task", detail: "the row has no task to attempt" };
      const messages = noToolMessages(await withDataUriImages(task, context.baseDir), options.systemPrompt);
      let correct = 0;
      try {
        const results = await Promise.all(
          Array.from({ length: k }, () =>
            calls.run(async () => {
              const turn = await options.policy.generate({
                messages,
                sampling: { temperature: options.temperature ?? 1, maxTokens: options.maxTokens ?? 2048 },
                ...(context.signal === undefined ? {} : { signal: context.signal }),
              });
              return checkAnswer(judge, task, extractAnswer(turn.text));
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
        const outage = policyOutage(error);
        if (outage !== undefined) throw outage;
        return { keep: false, error: true, reason: "model-error", detail: (error as Error).message };
      }
      const passK = correct / k;
      const annotations = { passK, [`pass${k}`]: passK };
      if (correct === k) {
        return {
          keep: false,
          reason: "solved-without-tools",
          detail: `pass@${k} = ${correct}/${k}`,
          annotations,
        };
      }
      return { keep: true, annotations };
    },
  };
}

/** The task's conversation without its system message (which names tools), under a no-tool system message. */
function noToolMessages(task: Task, systemPrompt = NO_TOOLS_SYSTEM_PROMPT): Message[] {
  const messages = buildPromptMessages(task).filter((message) => message.role !== "system");
  return [{ role: "system", content: systemPrompt }, ...messages];
}
