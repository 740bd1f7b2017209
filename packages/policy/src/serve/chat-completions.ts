import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Message } from "@hdpo/core";
import { sendJson } from "@hdpo/http";
import { renderChat } from "../tokenizer/chat-template";
import { type ChoiceText, choiceText } from "./choice-text";
import { checkModelName, planGeneration } from "./generation-plan";
import { endEventStream, startEventStream, writeEvent } from "./http-io";
import { ChatCompletionRequestSchema, type ChatMessage, parseRequest } from "./request-schemas";
import type { ServerContext } from "./server-context";
import { tokenLabel, tokenText, topLogProbs } from "./token-log-probs";

/** One entry of `choices[].logprobs.content`. */
export interface ChatTokenLogProb {
  /** Token text, or `token_id:<id>` with `return_tokens_as_token_ids`. */
  token: string;
  logprob: number;
  /** The token's own UTF-8 bytes (also with `return_tokens_as_token_ids`, so the bytes still add up to the text). */
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** Answers `POST /v1/chat/completions` (JSON or, with `stream`, server-sent events). */
export async function handleChatCompletion(
  context: ServerContext,
  body: unknown,
  response: ServerResponse,
): Promise<void> {
  const request = parseRequest(ChatCompletionRequestSchema, body);
  checkModelName(context, request.model);
  const prompt = context.tokenizer.encode(
    renderChat(request.messages.map(toCoreMessage), { addGenerationPrompt: true }),
  );
  const plan = planGeneration(
    context,
    [prompt],
    { ...request, max_tokens: request.max_completion_tokens ?? request.max_tokens },
    { promptParam: "messages", defaultMaxTokens: "context" },
  );
  const sequences = await context.batcher.submit(plan.job);
  const choices = sequences.map((s) => choiceText(s, context.tokenizer, plan.stop));
  const logprobs = request.logprobs
    ? choices.map((c) =>
        chatLogProbs(
          context,
          prompt,
          c,
          plan,
          request.top_logprobs ?? 0,
          request.return_tokens_as_token_ids === true,
        ),
      )
    : undefined;
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const completionTokens = choices.reduce((sum, c) => sum + c.tokenIds.length, 0);
  const usage = {
    prompt_tokens: prompt.length,
    completion_tokens: completionTokens,
    total_tokens: prompt.length + completionTokens,
  };
  const base = { id, created, model: context.modelName };
  if (!request.stream) {
    sendJson(response, 200, {
      ...base,
      object: "chat.completion",
      choices: choices.map((c, index) => ({
        index,
        message: { role: "assistant", content: c.text, refusal: null },
        logprobs: logprobs === undefined ? null : { content: logprobs[index]!, refusal: null },
        finish_reason: c.finishReason,
      })),
      usage,
    });
    return;
  }
  startEventStream(response);
  const chunk = (choice: Record<string, unknown>) => ({
    ...base,
    object: "chat.completion.chunk",
    choices: [choice],
  });
  choices.forEach((c, index) => {
    writeEvent(
      response,
      chunk({ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }),
    );
    c.tokenIds.forEach((_, i) => {
      const content = c.text.slice(i === 0 ? 0 : c.ends[i - 1]!, c.ends[i]!);
      writeEvent(
        response,
        chunk({
          index,
          delta: { content },
          logprobs: logprobs === undefined ? null : { content: [logprobs[index]![i]!], refusal: null },
          finish_reason: null,
        }),
      );
    });
    writeEvent(response, chunk({ index, delta: {}, logprobs: null, finish_reason: c.finishReason }));
  });
  if (request.stream_options?.include_usage) {
    writeEvent(response, { ...base, object: "chat.completion.chunk", choices: [], usage });
  }
  endEventStream(response);
}

function chatLogProbs(
  context: ServerContext,
  prompt: readonly number[],
  choice: ChoiceText,
  sampling: { temperature: number; topP: number },
  k: number,
  asTokenIds: boolean,
): ChatTokenLogProb[] {
  const tops = topLogProbs(context.model, prompt, choice.tokenIds, sampling, k);
  const entry = (tokenId: number) => ({
    token: tokenLabel(context.tokenizer, tokenId, asTokenIds),
    bytes: tokenText(context.tokenizer, tokenId).bytes,
  });
  return choice.tokenIds.map((tokenId, i) => ({
    ...entry(tokenId),
    logprob: choice.logProbs[i]!,
    top_logprobs: tops[i]!.map((alt) => ({ ...entry(alt.tokenId), logprob: alt.logProb })),
  }));
}

function toCoreMessage(message: ChatMessage): Message {
  const role = message.role === "developer" ? "system" : message.role;
  const content =
    message.content === undefined || message.content === null
      ? ""
      : typeof message.content === "string"
        ? message.content
        : message.content.map((part) =>
            part.type === "text"
              ? { type: "text" as const, text: part.text }
              : { type: "image" as const, image: part.image_url.url },
          );
  return { role, content };
}
