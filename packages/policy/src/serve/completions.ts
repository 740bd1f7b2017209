import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson } from "@hdpo/http";
import { type ChoiceText, choiceText } from "./choice-text";
import { checkModelName, planGeneration } from "./generation-plan";
import { endEventStream, startEventStream, writeEvent } from "./http-io";
import { OpenAiApiError } from "./openai-api-error";
import { CompletionRequestSchema, parseRequest } from "./request-schemas";
import type { ServerContext } from "./server-context";
import { tokenText, topLogProbs } from "./token-log-probs";

/** The legacy completions `logprobs` object. */
export interface CompletionLogProbs {
  tokens: string[];
  token_logprobs: number[];
  /** Token text → log-prob of the `logprobs` most likely tokens (a text two ids share keeps the larger). */
  top_logprobs: Record<string, number>[];
  text_offset: number[];
}

/** Answers `POST /v1/completions` (JSON or, with `stream`, server-sent events). */
export async function handleCompletion(
  context: ServerContext,
  body: unknown,
  response: ServerResponse,
): Promise<void> {
  const request = parseRequest(CompletionRequestSchema, body);
  checkModelName(context, request.model);
  if (request.echo && request.logprobs !== undefined && request.logprobs !== null) {
    throw OpenAiApiError.badRequest(
      "echo together with logprobs (prompt log-probs) is not supported; drop one of them.",
      "echo",
      "unsupported_value",
    );
  }
  const texts = typeof request.prompt === "string" ? [request.prompt] : request.prompt;
  const prompts = texts.map((t) => context.tokenizer.encode(t));
  const plan = planGeneration(context, prompts, request, { promptParam: "prompt", defaultMaxTokens: 16 });
  const sequences = await context.batcher.submit(plan.job);
  const choices = sequences.map((s) => choiceText(s, context.tokenizer, plan.stop));
  const promptOf = (index: number) => Math.floor(index / plan.n);
  const echoed = (index: number) => (request.echo ? texts[promptOf(index)]! : "");
  const logprobs =
    request.logprobs === undefined || request.logprobs === null
      ? undefined
      : choices.map((c, index) =>
          completionLogProbs(context, prompts[promptOf(index)]!, c, plan, request.logprobs ?? 0),
        );
  const promptTokens = prompts.reduce((sum, p) => sum + p.length, 0);
  const completionTokens = choices.reduce((sum, c) => sum + c.tokenIds.length, 0);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  const base = {
    id: `cmpl-${randomUUID()}`,
    object: "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: context.modelName,
  };
  if (!request.stream) {
    sendJson(response, 200, {
      ...base,
      choices: choices.map((c, index) => ({
        index,
        text: echoed(index) + c.text,
        logprobs: logprobs?.[index] ?? null,
        finish_reason: c.finishReason,
      })),
      usage,
    });
    return;
  }
  startEventStream(response);
  const chunk = (choice: Record<string, unknown>) => ({ ...base, choices: [choice] });
  choices.forEach((c, index) => {
    if (request.echo)
      writeEvent(response, chunk({ index, text: echoed(index), logprobs: null, finish_reason: null }));
    c.tokenIds.forEach((_, i) => {
      const text = c.text.slice(i === 0 ? 0 : c.ends[i - 1]!, c.ends[i]!);
      const entry = logprobs?.[index];
      writeEvent(
        response,
        chunk({
          index,
          text,
          logprobs:
            entry === undefined
              ? null
              : {
                  tokens: [entry.tokens[i]!],
                  token_logprobs: [entry.token_logprobs[i]!],
                  top_logprobs: [entry.top_logprobs[i]!],
                  text_offset: [entry.text_offset[i]!],
                },
          finish_reason: null,
        }),
      );
    });
    writeEvent(response, chunk({ index, text: "", logprobs: null, finish_reason: c.finishReason }));
  });
  if (request.stream_options?.include_usage) writeEvent(response, { ...base, choices: [], usage });
  endEventStream(response);
}

function completionLogProbs(
  context: ServerContext,
  prompt: readonly number[],
  choice: ChoiceText,
  sampling: { temperature: number; topP: number },
  k: number,
): CompletionLogProbs {
  const tops = topLogProbs(context.model, prompt, choice.tokenIds, sampling, k);
  return {
    tokens: choice.tokenIds.map((id) => tokenText(context.tokenizer, id).token),
    token_logprobs: [...choice.logProbs],
    top_logprobs: tops.map((alternatives) => {
      const byText: Record<string, number> = {};
      for (const alt of alternatives) {
        const text = tokenText(context.tokenizer, alt.tokenId).token;
        if (!(text in byText)) byText[text] = alt.logProb;
      }
      return byText;
    }),
    text_offset: choice.tokenIds.map((_, i) => (i === 0 ? 0 : choice.ends[i - 1]!)),
  };
}
