import type { Policy, PolicyRequest, PolicyTurn, ToolCall } from "@hdpo/core";
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { toOpenAIMessages } from "./openai-chat-messages";
import {
  affinity,
  checkLogProbs,
  type OpenAIEndpointOptions,
  OpenAIEndpoints,
  type PolicyCallOptions,
  parseSampling,
  tokenIdsFromNames,
} from "./openai-endpoints";
import { OpenAIPolicyError } from "./openai-policy-error";
import { closeStrippedToolCall, TOOL_CALL_CLOSE } from "./openai-tool-call-text";

/** Options of {@link OpenAIChatPolicy}. */
export interface OpenAIChatPolicyOptions extends OpenAIEndpointOptions {
  /** Ask for log-probs (default true). */
  logprobs?: boolean;
  /**
   * Send vLLM's `return_tokens_as_token_ids` so log-prob entries name token ids (default false: OpenAI itself
   * rejects unknown fields). Token ids are returned whenever the server names tokens `token_id:<n>`.
   */
  requestTokenIds?: boolean;
  /** The policy's name (default "openai-chat:<model or baseURL>"). */
  name?: string;
}

const OWNER = "OpenAIChatPolicy";

/**
 * A {@link Policy} on an OpenAI-compatible chat-completions endpoint (vLLM, SGLang, OpenAI…), for rollouts and
 * evaluation. Text-protocol turns get `</tool_call>` as a stop string, put back when the server stripped it;
 * with `request.tools` the tools are sent natively and the turn's `toolCalls` returned.
 */
export class OpenAIChatPolicy implements Policy {
  readonly name: string;
  private readonly endpoints: OpenAIEndpoints;
  private readonly logprobs: boolean;
  private readonly requestTokenIds: boolean;

  constructor(options: OpenAIChatPolicyOptions) {
    this.endpoints = new OpenAIEndpoints(options, OWNER);
    this.logprobs = options.logprobs ?? true;
    this.requestTokenIds = options.requestTokenIds ?? false;
    this.name = options.name ?? `openai-chat:${options.model ?? this.endpoints.pool.baseURLs[0]}`;
  }

  /** The model id in use (discovered from `GET /models` when not configured). */
  model(): Promise<string> {
    return this.endpoints.model();
  }

  /**
   * Generates the next assistant turn.
   * @throws OpenAIPolicyError on invalid requests, exhausted retries (`http-error`, `connection`, `timeout`),
   *   `aborted`, or a malformed answer (`bad-response`).
   */
  async generate(request: PolicyRequest, options: PolicyCallOptions = {}): Promise<PolicyTurn> {
    const sampling = parseSampling(request.sampling, OWNER);
    const native = request.tools !== undefined && request.tools.length > 0;
    // A text stop string would cut a native call inside the server's own tool parser, so it is added only for
    // the text protocol.
    const stop = native ? (sampling.stop ?? []) : [...new Set([...(sampling.stop ?? []), TOOL_CALL_CLOSE])];
    const messages = await toOpenAIMessages(request.messages);
    const signal = request.signal;
    const model = await this.endpoints.model(signal);
    const body: ChatCompletionCreateParamsNonStreaming & Record<string, unknown> = {
      model,
      messages,
      max_tokens: sampling.maxTokens,
      temperature: sampling.temperature,
      top_p: sampling.topP,
      ...(stop.length > 0 ? { stop } : {}),
      ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
      ...(this.logprobs ? { logprobs: true } : {}),
      ...(this.logprobs && this.requestTokenIds ? { return_tokens_as_token_ids: true } : {}),
      ...(native ? { tools: request.tools as ChatCompletionTool[] } : {}),
    };
    const completion = await this.endpoints.call(
      (client) => client.chat.completions.create(body, signal === undefined ? {} : { signal }),
      {
        label: "POST /chat/completions",
        ...(signal === undefined ? {} : { signal }),
        ...affinity(options, request),
      },
    );
    const choice = completion.choices?.[0];
    if (choice === undefined) {
      throw new OpenAIPolicyError("bad-response", "POST /chat/completions answered with no choices.");
    }
    const stopReason = (choice as unknown as { stop_reason?: unknown }).stop_reason;
    const toolCalls = nativeToolCalls(choice.message.tool_calls);
    const content = choice.message.content ?? "";
    const text = native ? content : closeStrippedToolCall(content, choice.finish_reason, stopReason);
    const turn: PolicyTurn = {
      text,
      finishReason:
        toolCalls.length > 0 ? "tool-call" : choice.finish_reason === "length" ? "length" : "stop",
    };
    if (toolCalls.length > 0) turn.toolCalls = toolCalls;
    const entries = choice.logprobs?.content;
    if (this.logprobs && Array.isArray(entries)) {
      turn.logProbs = checkLogProbs(
        entries.map((e) => e.logprob),
        "POST /chat/completions",
      );
      const ids = tokenIdsFromNames(entries.map((e) => e.token));
      if (ids !== undefined) turn.tokenIds = ids;
    }
    return turn;
  }
}

interface WireToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * Native tool calls as core {@link ToolCall}s. `raw` keeps the arguments string exactly as the server sent it;
 * arguments that are not a JSON object are given as `{}` so the executor can still see (in `raw`) what was wrong.
 */
function nativeToolCalls(calls: readonly WireToolCall[] | undefined): ToolCall[] {
  if (calls === undefined || calls === null) return [];
  return calls
    .filter((call) => call.type === undefined || call.type === "function")
    .map((call, i) => {
      const name = call.function?.name;
      if (typeof name !== "string" || name.length === 0) {
        throw new OpenAIPolicyError(
          "bad-response",
          `POST /chat/completions: tool_calls[${i}] has no function name.`,
        );
      }
      const raw = call.function?.arguments ?? "";
      const parsed = parseObject(raw);
      return { ...(call.id === undefined ? {} : { id: call.id }), name, arguments: parsed, raw };
    });
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
