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
  /**
   * Send the rendered chat as a list of token ids (vLLM accepts it; default false: it is sent as text). Only for a
   * request without `promptTokenIds`, which always go out as they are.
   */
  promptAsTokenIds?: boolean;
  /**
   * Send vLLM's `return_tokens_as_token_ids`, so that the sampled ids are read from its `token_id:<n>` token names.
   * Default: on for a request that carries `promptTokenIds` (the caller records ids for training), off otherwise.
   * Set false for a server that refuses unknown fields. Without `token_id:<n>` names, each returned token string is
   * re-encoded with `tokenizer` — the fallback, which can fail (see the class).
   */
  returnTokensAsTokenIds?: boolean;
  /** The policy's name (default "openai-completions:<model or baseURL>"). */
  name?: string;
}

const OWNER = "OpenAICompletionsPolicy";

/**
 * A {@link Policy} on an OpenAI-compatible `/completions` endpoint (vLLM, SGLang) that gives each turn's sampled
 * token ids and their log-probs (`logprobs: 1`), so that training with remote rollouts trains on what was sampled.
 *
 * Token-exact multi-turn rollouts: the agent loop records the conversation's exact ids (rollout options
 * `encodePrompt` and `encodeObservation`: the prompt, then each turn's sampled ids and each observation's ids) and
 * passes them as `request.promptTokenIds`. The prompt then goes out as exactly those ids and the chat is never
 * re-rendered: a sampled turn's ids need not be the canonical encoding of its text, so re-tokenising the
 * conversation would condition the next turn on other tokens than the ones training sees. Without
 * `promptTokenIds` the policy renders the Qwen chat template from `request.messages` itself, as text or encoded
 * (`promptAsTokenIds`).
 *
 * The sampled ids are read from vLLM's `token_id:<n>` token names (`return_tokens_as_token_ids`, on by default
 * with `promptTokenIds`). Otherwise each returned token string is re-encoded alone with `tokenizer`: a fallback
 * that can fail, and not always loudly. A token that does not map to exactly one id is refused (`bad-response`),
 * never guessed; but a token string that re-encodes to one other id — e.g. a partial UTF-8 byte that the server
 * wrote as U+FFFD — is recorded under that id. As in vLLM, the ids include the tokens of a stripped stop string
 * (and of EOS), while `text` is the server's text with a stripped `</tool_call>` put back. Text-protocol only:
 * images and native tools are rejected (use {@link OpenAIChatPolicy}).
 *
 * Serving for training with vLLM (`vllm serve MODEL …`):
 * - `--return-tokens-as-token-ids` makes `token_id:<n>` names the server's default (the per-request field does
 *   the same for one request; SGLang ignores the field, so its ids come from the fallback);
 * - `--logprobs-mode processed_logprobs` returns log-probs of the distribution actually sampled from (after
 *   temperature and top-p); the default `raw_logprobs` are the model's before temperature, which equal the
 *   sampler's only at temperature 1 without top-p/top-k;
 * - `--generation-config vllm` keeps the checkpoint's `generation_config.json` (e.g. Qwen3's top_k 20) from
 *   silently changing the sampling this policy asks for (it sends temperature and top_p, not top_k);
 * - `--max-logprobs` must be at least 1 (its default, 20, is).
 */
export class OpenAICompletionsPolicy implements Policy {
  readonly name: string;
  private readonly endpoints: OpenAIEndpoints;
  private readonly tokenizer: PolicyTokenizer;
  private readonly promptAsTokenIds: boolean;
  private readonly returnTokensAsTokenIds: boolean | undefined;

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
    this.returnTokensAsTokenIds = options.returnTokensAsTokenIds;
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
    // Ids wanted (the caller records them) → ask for them by name rather than recover them from token strings.
    const askIds = this.returnTokensAsTokenIds ?? request.promptTokenIds !== undefined;
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
      ...(askIds ? { return_tokens_as_token_ids: true } : {}),
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
    if (
      logprobs === null ||
      logprobs === undefined ||
      !Array.isArray(logprobs.tokens) ||
      !logprobs.tokens.every((token: unknown) => typeof token === "string")
    ) {
      throw new OpenAIPolicyError(
        "bad-response",
        "POST /completions returned no list of token strings in logprobs.tokens although logprobs: 1 was asked; the server cannot serve token-level training.",
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
