import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson } from "@hdpo/http";
import { type ChoiceText, choiceText } from "./choice-text";
import { parseCompletionPrompts } from "./completion-prompts";
import { checkModelName, planGeneration } from "./generation-plan";
import { endEventStream, startEventStream, writeEvent } from "./http-io";
import { OpenAiApiError } from "./openai-api-error";
import { CompletionRequestSchema, parseRequest } from "./request-schemas";
import type { ServerContext } from "./server-context";
import { tokenLabel, topLogProbs } from "./token-log-probs";

/**
 * The legacy completions `logprobs` object: one entry per sampled token, the closing end-of-sequence token or the
 * token that completed a stop string included, so the ids appended to the prompt are what the model conditioned on.
 */
export interface CompletionLogProbs {
  /** Token text, or `token_id:<id>` with `return_tokens_as_token_ids`. */
  tokens: string[];
  token_logprobs: number[];
  /** Token label → log-prob of the `logprobs` most likely tokens (a text two ids share keeps the larger). */
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
  const parsed = parseCompletionPrompts(request.prompt, context.tokenizer, {
    vocabSize: context.model.config.vocab_size,
    contextLength: context.model.config.max_position_embeddings,
    maxPrompts: context.maxBatchSize,
  });
  const prompts = parsed.ids;
  const texts = request.echo ? parsed.echoTexts() : [];
  const asTokenIds = request.return_tokens_as_token_ids === true;
  const withTokenIds = request.return_token_ids === true;
  const plan = planGeneration(context, prompts, request, { promptParam: "prompt", defaultMaxTokens: 16 });
  const sequences = await context.batcher.submit(plan.job);
  const choices = sequences.map((s) => choiceText(s, context.tokenizer, plan.stop));
  const promptOf = (index: number) => Math.floor(index / plan.n);
  const echoed = (index: number) => (request.echo ? texts[promptOf(index)]! : "");
  const logprobs =
    request.logprobs === undefined || request.logprobs === null
      ? undefined
      : choices.map((c, index) =>
          completionLogProbs(context, prompts[promptOf(index)]!, c, plan, request.logprobs ?? 0, asTokenIds),
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
        ...(withTokenIds ? { prompt_token_ids: prompts[promptOf(index)]!, token_ids: c.tokenIds } : {}),
      })),
      usage,
    });
    return;
  }
  startEventStream(response);
  const chunk = (choice: Record<string, unknown>) => ({ ...base, choices: [choice] });
  choices.forEach((c, index) => {
    // As vLLM streams them: the prompt's ids once, in the choice's first chunk, then each chunk's new ids.
    const ids = (tokenIds: number[], first: boolean) =>
      withTokenIds
        ? { ...(first ? { prompt_token_ids: prompts[promptOf(index)]! } : {}), token_ids: tokenIds }
        : {};
    if (request.echo) {
      writeEvent(
        response,
        chunk({ index, text: echoed(index), logprobs: null, finish_reason: null, ...ids([], true) }),
      );
    }
    c.tokenIds.forEach((tokenId, i) => {
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
          ...ids([tokenId], i === 0 && !request.echo),
        }),
      );
    });
    writeEvent(
      response,
      chunk({ index, text: "", logprobs: null, finish_reason: c.finishReason, ...ids([], false) }),
    );
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
  asTokenIds: boolean,
): CompletionLogProbs {
  const tops = topLogProbs(context.model, prompt, choice.tokenIds, sampling, k);
  return {
    tokens: choice.tokenIds.map((id) => tokenLabel(context.tokenizer, id, asTokenIds)),
    token_logprobs: [...choice.logProbs],
    top_logprobs: tops.map((alternatives) => {
      // No prototype: a token whose text is "constructor" or "__proto__" is an ordinary key.
      const byLabel: Record<string, number> = Object.create(null);
      for (const alt of alternatives) {
        const label = tokenLabel(context.tokenizer, alt.tokenId, asTokenIds);
        if (!Object.hasOwn(byLabel, label)) byLabel[label] = alt.logProb;
      }
      return byLabel;
    }),
    text_offset: choice.tokenIds.map((_, i) => (i === 0 ? 0 : choice.ends[i - 1]!)),
  };
}
