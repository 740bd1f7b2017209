import type { Policy, PolicyRequest, PolicyTurn } from "@hdpo/core";
import type { CompletionCreateParamsNonStreaming } from "openai/resources/completions";
import { countImages, renderQwenChat } from "./chat-template";
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

/** The tokenizer of the served model, as the completions policy needs it. */
export interface PolicyTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
}

/** Options of {@link OpenAICompletionsPolicy}. */
export interface OpenAICompletionsPolicyOptions extends OpenAIEndpointOptions {
  /** The served model's tokenizer: encodes token-id prompts and maps returned tokens to ids. */
  tokenizer: PolicyTokenizer;
  /** Send the prompt as a list of token ids (vLLM accepts it; default false: the prompt is sent as text). */
  promptAsTokenIds?: boolean;
  /**
   * Send vLLM's `return_tokens_as_token_ids` (default false). With it, token ids are read from the server's
   * `token_id:<n>` names; without it, each returned token string is re-encoded with `tokenizer` and must give
   * exactly one id.
   */
  returnTokensAsTokenIds?: boolean;
  /** The policy's name (default "openai-completions:<model or baseURL>"). */
  name?: string;
}

const OWNER = "OpenAICompletionsPolicy";

/**
 * A {@link Policy} on an OpenAI-compatible `/completions` endpoint that renders the Qwen chat template itself, so
 * training with remote rollouts gets the exact sampled token ids and their log-probs (`logprobs: 1`).
 *
 * Token ids come from the server's `token_id:<n>` names when it gives them (vLLM with
 * `returnTokensAsTokenIds`), else from re-encoding each returned token string alone with `tokenizer`; a token that
 * does not map to exactly one id (e.g. a partial UTF-8 byte) is an error, never a guess. As in vLLM, the ids
 * include the tokens of a stripped stop string (and of EOS), while `text` is the server's text with a stripped
 * `</tool_call>` put back. Text-protocol only: images and native tools are rejected (use {@link OpenAIChatPolicy}).
 *
 * For training, the agent loop records the conversation's exact ids (rollout options `encodePrompt` and
 * `encodeObservation`) and passes them as `request.promptTokenIds`: the prompt then goes out as those ids and the
 * chat is never re-rendered or re-tokenised between turns. Serve with vLLM and set `returnTokensAsTokenIds` (vLLM's
 * `return_tokens_as_token_ids`), so that the sampled ids are read, not recovered by re-encoding token strings (the
 * fallback, which refuses a token that does not encode to exactly one id).
 */
export class OpenAICompletionsPolicy implements Policy {
  readonly name: string;
  private readonly endpoints: OpenAIEndpoints;
  private readonly tokenizer: PolicyTokenizer;
  private readonly promptAsTokenIds: boolean;
  private readonly returnTokensAsTokenIds: boolean;

  constructor(options: OpenAICompletionsPolicyOptions) {
    const tokenizer = options.tokenizer;
    if (typeof tokenizer?.encode !== "function" || typeof tokenizer?.decode !== "function") {
      throw new OpenAIPolicyError(
        "invalid-options",
        `${OWNER}: tokenizer must have encode(text) and decode(ids).`,
      );
    }
    this.endpoints = new OpenAIEndpoints(options, OWNER);
    this.tokenizer = tokenizer;
    this.promptAsTokenIds = options.promptAsTokenIds ?? false;
    this.returnTokensAsTokenIds = options.returnTokensAsTokenIds ?? false;
    this.name = options.name ?? `openai-completions:${options.model ?? this.endpoints.pool.baseURLs[0]}`;
  }

  /** The model id in use (discovered from `GET /models` when not configured). */
  model(): Promise<string> {
    return this.endpoints.model();
  }

  /**
   * Generates the next assistant turn with its token ids and log-probs.
   * @throws OpenAIPolicyError on images or native tools in the request, exhausted retries, `aborted`, or a
   *   malformed answer (`bad-response`, also when token ids cannot be recovered exactly).
   */
  async generate(request: PolicyRequest, options: PolicyCallOptions = {}): Promise<PolicyTurn> {
    const sampling = parseSampling(request.sampling, OWNER);
    if (request.tools !== undefined && request.tools.length > 0) {
      throw new OpenAIPolicyError(
        "invalid-request",
        `${OWNER} speaks the text tool protocol only; drop request.tools or use OpenAIChatPolicy for native tools.`,
      );
    }
    if (countImages(request.messages) > 0) {
      throw new OpenAIPolicyError(
        "invalid-request",
        `${OWNER} cannot send images through /completions; use OpenAIChatPolicy for multimodal requests.`,
      );
    }
    const stop = [...new Set([...(sampling.stop ?? []), TOOL_CALL_CLOSE])];
    const signal = request.signal;
    const prompt = this.prompt(request);
    const model = await this.endpoints.model(signal);
    const body: CompletionCreateParamsNonStreaming & Record<string, unknown> = {
      model,
      prompt,
      max_tokens: sampling.maxTokens,
      temperature: sampling.temperature,
      top_p: sampling.topP,
      stop,
      logprobs: 1,
      ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
      ...(this.returnTokensAsTokenIds ? { return_tokens_as_token_ids: true } : {}),
    };
    const completion = await this.endpoints.call(
      (client) => client.completions.create(body, signal === undefined ? {} : { signal }),
      {
        label: "POST /completions",
        ...(signal === undefined ? {} : { signal }),
        ...affinity(options, request),
      },
    );
    const choice = completion.choices?.[0];
    if (choice === undefined) {
      throw new OpenAIPolicyError("bad-response", "POST /completions answered with no choices.");
    }
    const logprobs = choice.logprobs;
    if (logprobs === null || logprobs === undefined || !Array.isArray(logprobs.tokens)) {
      throw new OpenAIPolicyError(
        "bad-response",
        "POST /completions returned no logprobs.tokens although logprobs: 1 was asked; the server cannot serve token-level training.",
      );
    }
    const logProbs = checkLogProbs(logprobs.token_logprobs ?? [], "POST /completions");
    if (logProbs.length !== logprobs.tokens.length) {
      throw new OpenAIPolicyError(
        "bad-response",
        `POST /completions returned ${logprobs.tokens.length} tokens but ${logProbs.length} log-probs.`,
      );
    }
    const stopReason = (choice as unknown as { stop_reason?: unknown }).stop_reason;
    return {
      text: closeStrippedToolCall(choice.text, choice.finish_reason, stopReason),
      finishReason: choice.finish_reason === "length" ? "length" : "stop",
      tokenIds: tokenIdsFromNames(logprobs.tokens) ?? this.reencode(logprobs.tokens),
      logProbs,
    };
  }

  /**
   * The conversation's exact ids when the caller recorded them (a sampled turn need not be the canonical encoding of
   * its text, so re-rendering would condition on other tokens than training sees); else the rendered chat, as text
   * or encoded.
   */
  private prompt(request: PolicyRequest): string | number[] {
    const ids = request.promptTokenIds;
    if (ids !== undefined) {
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        !ids.every((id) => Number.isSafeInteger(id) && id >= 0)
      ) {
        throw new OpenAIPolicyError(
          "invalid-request",
          `${OWNER}: promptTokenIds must be a non-empty list of token ids (integers ≥ 0); pass the conversation's ids or leave it out.`,
        );
      }
      return [...ids];
    }
    const text = renderQwenChat(request.messages);
    return this.promptAsTokenIds ? this.tokenizer.encode(text) : text;
  }

  private reencode(tokens: readonly string[]): number[] {
    return tokens.map((token, i) => {
      const ids = this.tokenizer.encode(token);
      if (ids.length !== 1) {
        throw new OpenAIPolicyError(
          "bad-response",
          `POST /completions: token ${i} ${JSON.stringify(token)} re-encodes to ${ids.length} ids, so its id is unknown; serve with vLLM and set returnTokensAsTokenIds.`,
        );
      }
      return ids[0]!;
    });
  }
}
