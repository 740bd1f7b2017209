import { InfrastructureError, isServiceFailureStatus } from "@hdpo/agent-loop";
import type { Task, Trajectory } from "@hdpo/core";
import OpenAI from "openai";
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { CurationError } from "../curation-error";
import { Limiter } from "../pipeline/limiter";
import type { StageDecision } from "../rows/row-decision";
import { parseRubricReply, RUBRIC_CRITERIA, RUBRIC_SYSTEM_PROMPT, type RubricCriterion } from "./rubric";
import type { Stage } from "./stage";
import { taskImagesAsDataUris } from "./task-images";

/** Options of {@link createJudgeStage}. */
export interface JudgeStageOptions {
  /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  /** Default: the first id of `GET /models`. */
  model?: string;
  apiKey?: string;
  /** Minimum score per criterion to keep a row (inclusive). Default 3 for each. */
  thresholds?: Partial<Record<RubricCriterion, number>>;
  /** Judge calls at once. Default 8. */
  concurrency?: number;
  timeoutMs?: number;
  /** Retries of a failed request (not of a malformed reply). Default 2. */
  maxRetries?: number;
}

/**
 * Judge-based quality: an LLM judge scores visual relevance, reasoning coherence and tool-use rationale (1-5) with
 * a rubric prompt, the images attached; a row is kept when every score reaches its threshold. Every decision
 * records the scores and the judge's short reason; a malformed reply or a failed call is an error, not a score.
 * A judge that cannot be asked (unreachable, 5xx or 401/404/429 after the retries, no model listed) rejects with an
 * InfrastructureError instead: the row is left for the next run.
 */
export function createJudgeStage(options: JudgeStageOptions): Stage {
  const thresholds = {
    visual_relevance: 3,
    reasoning_coherence: 3,
    tool_use_rationale: 3,
    ...options.thresholds,
  };
  for (const [name, value] of Object.entries(thresholds)) {
    if (!(value >= 1 && value <= 5))
      throw new CurationError(`judge: threshold ${name} must be within 1..5, got ${value}.`);
  }
  const concurrency = options.concurrency ?? 8;
  const calls = new Limiter(concurrency);
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey ?? "EMPTY",
    timeout: options.timeoutMs ?? 120_000,
    maxRetries: options.maxRetries ?? 2,
  });
  let model: Promise<string> | undefined;
  const getModel = () => {
    model ??= options.model
      ? Promise.resolve(options.model)
      : client.models.list().then((page) => {
          const id = page.data[0]?.id;
          if (id === undefined)
            throw new CurationError(`judge: ${options.baseURL}/models lists no model; pass --judge-model.`);
          return id;
        });
    model.catch(() => {
      model = undefined;
    });
    return model;
  };
  return {
    name: "judge",
    concurrency,
    services: ["judge"],
    async process(row, context): Promise<StageDecision> {
      if (row.kind === "invalid") return { keep: false, reason: "malformed-row", detail: row.problem };
      const images = await taskImagesAsDataUris(row.task, context.baseDir);
      const sample = sampleText(row.task, row.kind === "trajectory" ? row.trajectory : undefined);
      let reply: string;
      try {
        reply = await calls.run(async () => {
          const completion = await client.chat.completions.create(
            {
              model: await getModel(),
              temperature: 0,
              max_tokens: 300,
              messages: judgeMessages(sample, images),
            },
            context.signal === undefined ? {} : { signal: context.signal },
          );
          return completion.choices[0]?.message.content ?? "";
        });
      } catch (error) {
        if (isJudgeOutage(error)) {
          throw new InfrastructureError(
            "judge",
            `the judge at ${options.baseURL} failed: ${(error as Error).message}; check that it is running.`,
            { endpoint: options.baseURL, cause: error },
          );
        }
        return {
          keep: false,
          error: true,
          reason: "judge-error",
          detail: `judge request failed: ${(error as Error).message}`,
        };
      }
      const scores = parseRubricReply(reply);
      if ("error" in scores)
        return { keep: false, error: true, reason: "judge-malformed", detail: scores.error };
      const annotations = {
        judge: {
          visual_relevance: scores.visual_relevance,
          reasoning_coherence: scores.reasoning_coherence,
          tool_use_rationale: scores.tool_use_rationale,
          reason: scores.reason,
        },
      };
      const low = RUBRIC_CRITERIA.filter((name) => scores[name] < thresholds[name]);
      if (low.length > 0) {
        return {
          keep: false,
          reason: `low-${low[0]!.replaceAll("_", "-")}`,
          detail: `${low.map((name) => `${name} ${scores[name]} < ${thresholds[name]}`).join(", ")}; judge: ${scores.reason}`,
          annotations,
        };
      }
      return { keep: true, annotations };
    },
  };
}

/** A failure of the judge service rather than of this request: no connection, 5xx, 401/404/429, no model. */
function isJudgeOutage(error: unknown): boolean {
  if (error instanceof OpenAI.APIUserAbortError) return false;
  if (error instanceof OpenAI.APIConnectionError) return true;
  if (error instanceof OpenAI.APIError && typeof error.status === "number")
    return isServiceFailureStatus(error.status);
  // the model look-up found none: every row would fail the same way
  return error instanceof CurationError;
}

function sampleText(task: Task | undefined, trajectory: Trajectory | undefined): string {
  const answer =
    task === undefined ? "" : typeof task.answer === "string" ? task.answer : task.answer.join(" | ");
  const parts = [
    `## Question\n${task?.question ?? "(not given)"}`,
    `## Ground truth\n${answer || "(not given)"}`,
  ];
  if (trajectory !== undefined) {
    const turns = trajectory.turns
      .map((turn) =>
        turn.role === "assistant"
          ? `[assistant]\n${turn.text}`
          : `[tool output]\n${turn.text.slice(0, 2000)}`,
      )
      .join("\n\n");
    parts.push(`## Agent trajectory\n${turns}`, `## Final answer\n${trajectory.answer ?? "(none)"}`);
  }
  return parts.join("\n\n");
}

function judgeMessages(sample: string, images: readonly string[]): ChatCompletionMessageParam[] {
  const content: ChatCompletionContentPart[] = [
    ...images.map((url) => ({ type: "image_url" as const, image_url: { url } })),
    { type: "text", text: sample },
  ];
  return [
    { role: "system", content: RUBRIC_SYSTEM_PROMPT },
    { role: "user", content: images.length === 0 ? sample : content },
  ];
}
