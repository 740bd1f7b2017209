import type { Policy, PolicyRequest, PolicyTurn } from "@hdpo/core";
import type { DecoderModel } from "./model/decoder-model";
import { deriveSeed } from "./model/prng";
import { PolicyError } from "./policy-error";
import type { ByteLevelBpeTokenizer } from "./tokenizer/byte-level-bpe-tokenizer";
import { renderChat } from "./tokenizer/chat-template";

/** Options of {@link LocalPolicy}. */
export interface LocalPolicyOptions {
  model: DecoderModel;
  tokenizer: ByteLevelBpeTokenizer;
  name?: string;
  /** Seed for requests that give none; each such request draws from its own derived stream. */
  seed?: number;
}

/**
 * The in-process model behind the agent loop's `Policy` seam: renders the conversation with the Qwen-style
 * chat template, samples the next assistant turn, and returns its exact token ids and sampling log-probs,
 * so a rollout can be trained on without re-tokenising. Unlike an OpenAI-compatible server, a stop string
 * (e.g. `</tool_call>`) is kept at the end of the text, as the reference's rollouts keep it.
 */
export class LocalPolicy implements Policy {
  readonly name: string;
  private readonly model: DecoderModel;
  private readonly tokenizer: ByteLevelBpeTokenizer;
  private readonly seed: number;
  private calls = 0;

  constructor(options: LocalPolicyOptions) {
    this.model = options.model;
    this.tokenizer = options.tokenizer;
    this.name = options.name ?? "hdpo-local";
    this.seed = options.seed ?? 0;
  }

  async generate(request: PolicyRequest): Promise<PolicyTurn> {
    if (request.signal?.aborted) throw new PolicyError("LocalPolicy.generate: the request was aborted.");
    const { sampling } = request;
    // Continuing from the caller's exact ids keeps sampling and training on the same tokens.
    const prompt =
      request.promptTokenIds !== undefined
        ? this.checkedIds(request.promptTokenIds)
        : this.tokenizer.encode(renderChat(request.messages, { addGenerationPrompt: true }));
    const room = this.model.config.max_position_embeddings - prompt.length;
    if (room <= 0) {
      throw new PolicyError(
        `LocalPolicy.generate: the conversation is ${prompt.length} tokens, at or over the model's ` +
          `max_position_embeddings (${this.model.config.max_position_embeddings}); shorten it or truncate observations.`,
      );
    }
    const seed = sampling.seed ?? deriveSeed(this.seed, this.calls++);
    const [sequence] = this.model.generate([prompt], {
      temperature: sampling.temperature ?? 1,
      topP: sampling.topP ?? 1,
      maxTokens: Math.min(sampling.maxTokens, room),
      seed,
      stop: sampling.stop ?? [],
      codec: this.tokenizer,
    });
    if (sequence === undefined)
      throw new PolicyError("LocalPolicy.generate: the model returned no sequence.");
    const eos = new Set(this.tokenizer.eosTokenIds);
    const last = sequence.tokenIds.at(-1);
    // The end-of-turn token is part of the turn's tokens (it is trained on) but not of its text.
    const textIds = last !== undefined && eos.has(last) ? sequence.tokenIds.slice(0, -1) : sequence.tokenIds;
    return {
      text: this.tokenizer.decode(textIds, { skipSpecialTokens: true }),
      finishReason: sequence.finishReason,
      tokenIds: sequence.tokenIds,
      logProbs: sequence.logProbs,
    };
  }

  private checkedIds(ids: readonly number[]): number[] {
    const vocab = this.model.config.vocab_size;
    const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (ids.length === 0 || bad >= 0) {
      throw new PolicyError(
        ids.length === 0
          ? "LocalPolicy.generate: promptTokenIds is empty; pass the conversation's ids or leave it out."
          : `LocalPolicy.generate: promptTokenIds[${bad}] = ${ids[bad]} is not a token id of this model (0 to ${vocab - 1}).`,
      );
    }
    return [...ids];
  }
}
