import type { GeneratedToken, Generation, ScriptedToolCall } from "./scripted-generation";

// Builders of OpenAI/vLLM response bodies. Field names and nesting follow the OpenAI API reference and what vLLM
// sends (`stop_reason`, `token_id:N` tokens under `return_tokens_as_token_ids`).

/** How tokens are named in log-prob entries. */
export interface TokenNaming {
  /** vLLM's `return_tokens_as_token_ids`: tokens are written `token_id:<id>`. */
  asTokenIds: boolean;
}

function tokenName(token: GeneratedToken, naming: TokenNaming): string {
  return naming.asTokenIds ? `token_id:${token.id}` : token.text;
}

function chatLogProbEntry(token: GeneratedToken, naming: TokenNaming) {
  const name = tokenName(token, naming);
  const bytes = Array.from(new TextEncoder().encode(token.text));
  return {
    token: name,
    logprob: token.logProb,
    bytes,
    top_logprobs: [{ token: name, logprob: token.logProb, bytes }],
  };
}

function toolCallsJson(calls: readonly ScriptedToolCall[]) {
  return calls.map((call, index) => ({
    id: call.id ?? `call_${index}`,
    type: "function" as const,
    function: { name: call.name, arguments: call.arguments },
  }));
}

function usage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** The body of a non-streaming chat completion. */
export function chatCompletionBody(args: {
  id: string;
  model: string;
  created: number;
  generation: Generation;
  toolCalls: readonly ScriptedToolCall[] | undefined;
  logprobs: boolean;
  naming: TokenNaming;
  promptTokens: number;
}) {
  const { generation, toolCalls } = args;
  const hasTools = toolCalls !== undefined && toolCalls.length > 0;
  return {
    id: args.id,
    object: "chat.completion",
    created: args.created,
    model: args.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: hasTools ? null : generation.text,
          ...(hasTools ? { tool_calls: toolCallsJson(toolCalls) } : {}),
        },
        logprobs: args.logprobs
          ? { content: generation.tokens.map((t) => chatLogProbEntry(t, args.naming)) }
          : null,
        finish_reason: hasTools ? "tool_calls" : generation.finishReason,
        stop_reason: generation.stopReason,
      },
    ],
    usage: usage(args.promptTokens, generation.tokens.length),
  };
}

/** The `data:` payloads of a streamed chat completion, in order (without the final `[DONE]`). */
export function chatCompletionChunks(
  args: Parameters<typeof chatCompletionBody>[0] & { includeUsage: boolean },
) {
  const { generation, toolCalls } = args;
  const hasTools = toolCalls !== undefined && toolCalls.length > 0;
  const base = { id: args.id, object: "chat.completion.chunk", created: args.created, model: args.model };
  const chunks: unknown[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    },
  ];
  if (hasTools) {
    toolCallsJson(toolCalls).forEach((call, index) => {
      chunks.push({
        ...base,
        choices: [
          { index: 0, delta: { tool_calls: [{ index, ...call }] }, logprobs: null, finish_reason: null },
        ],
      });
    });
  } else {
    // A token's text is only known once the stop check passed, so the last tokens of a stripped stop string send
    // no content, as in vLLM; their log-probs still go out.
    let sent = 0;
    for (const token of generation.tokens) {
      const piece = generation.text.slice(sent, sent + token.text.length);
      sent += piece.length;
      chunks.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: { content: piece },
            logprobs: args.logprobs ? { content: [chatLogProbEntry(token, args.naming)] } : null,
            finish_reason: null,
          },
        ],
      });
    }
  }
  chunks.push({
    ...base,
    choices: [
      {
        index: 0,
        delta: {},
        logprobs: null,
        finish_reason: hasTools ? "tool_calls" : generation.finishReason,
        stop_reason: generation.stopReason,
      },
    ],
  });
  if (args.includeUsage)
    chunks.push({ ...base, choices: [], usage: usage(args.promptTokens, generation.tokens.length) });
  return chunks;
}

function completionLogProbs(tokens: readonly GeneratedToken[], naming: TokenNaming, offset: number) {
  let at = offset;
  const textOffset = tokens.map((t) => {
    const here = at;
    at += t.text.length;
    return here;
  });
  return {
    tokens: tokens.map((t) => tokenName(t, naming)),
    token_logprobs: tokens.map((t) => t.logProb),
    top_logprobs: tokens.map((t) => ({ [tokenName(t, naming)]: t.logProb })),
    text_offset: textOffset,
  };
}

/** The body of a non-streaming (legacy) completion. */
export function completionBody(args: {
  id: string;
  model: string;
  created: number;
  generation: Generation;
  logprobs: boolean;
  naming: TokenNaming;
  promptTokens: number;
}) {
  const { generation } = args;
  return {
    id: args.id,
    object: "text_completion",
    created: args.created,
    model: args.model,
    choices: [
      {
        index: 0,
        text: generation.text,
        logprobs: args.logprobs ? completionLogProbs(generation.tokens, args.naming, 0) : null,
        finish_reason: generation.finishReason,
        stop_reason: generation.stopReason,
      },
    ],
    usage: usage(args.promptTokens, generation.tokens.length),
  };
}

/** The `data:` payloads of a streamed completion, in order (without the final `[DONE]`). */
export function completionChunks(args: Parameters<typeof completionBody>[0] & { includeUsage: boolean }) {
  const { generation } = args;
  const base = { id: args.id, object: "text_completion", created: args.created, model: args.model };
  const chunks: unknown[] = [];
  let sent = 0;
  for (const token of generation.tokens) {
    const piece = generation.text.slice(sent, sent + token.text.length);
    chunks.push({
      ...base,
      choices: [
        {
          index: 0,
          text: piece,
          logprobs: args.logprobs ? completionLogProbs([token], args.naming, sent) : null,
          finish_reason: null,
        },
      ],
    });
    sent += piece.length;
  }
  chunks.push({
    ...base,
    choices: [
      {
        index: 0,
        text: "",
        logprobs: null,
        finish_reason: generation.finishReason,
        stop_reason: generation.stopReason,
      },
    ],
  });
  if (args.includeUsage)
    chunks.push({ ...base, choices: [], usage: usage(args.promptTokens, generation.tokens.length) });
  return chunks;
}
