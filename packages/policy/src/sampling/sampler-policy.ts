import type { LearnerSampler, Policy, PolicyRequest, PolicyTurn } from "@hdpo/core";
import { deriveSeed } from "../model/prng";
import { PolicyError } from "../policy-error";
import type { ByteLevelBpeTokenizer } from "../tokenizer/byte-level-bpe-tokenizer";
import { renderChat } from "../tokenizer/chat-template";

/** Options of {@link SamplerPolicy}. */
export interface SamplerPolicyOptions {
  /** Where the tokens come from: the in-process model, or a learner's sampler (local or over HTTP). */
  sampler: LearnerSampler;
  tokenizer: ByteLevelBpeTokenizer;
  name?: string;
  /** Seed for requests that give none; each such request draws from its own derived stream. */
  seed?: number;
}

/**
 * The agent loop's `Policy` over a token-level sampler: renders the conversation with the Qwen-style chat template
 * (or continues from the caller's exact ids), samples the next assistant turn, and returns its exact token ids and
 * sampling log-probs, so a rollout can be trained on without re-tokenising. Unlike an OpenAI-compatible server, a
 * stop string (e.g. `</tool_call>`) is kept at the end of the text, as the reference's rollouts keep it.
 */
export class SamplerPolicy implements Policy {
  readonly name: string;
  /** The class name errors start with. */
  protected readonly label: string = "SamplerPolicy";
  private readonly sampler: LearnerSampler;
  private readonly tokenizer: ByteLevelBpeTokenizer;
  private readonly seed: number;
  private calls = 0;

  constructor(options: SamplerPolicyOptions) {
    this.sampler = options.sampler;
    this.tokenizer = options.tokenizer;
    this.name = options.name ?? "hdpo-local";
    this.seed = options.seed ?? 0;
  }

  async generate(request: PolicyRequest): Promise<PolicyTurn> {
    const where = `${this.label}.generate`;
    if (request.signal?.aborted) throw new PolicyError(`${where}: the request was aborted.`);
    const { sampling } = request;
    // Continuing from the caller's exact ids keeps sampling and training on the same tokens.
    const prompt =
      request.promptTokenIds !== undefined
        ? [...request.promptTokenIds]
        : this.tokenizer.encode(renderChat(request.messages, { addGenerationPrompt: true }));
    if (request.promptTokenIds !== undefined && prompt.length === 0) {
      throw new PolicyError(
        `${where}: promptTokenIds is empty; pass the conversation's ids or leave it out.`,
      );
    }
    let sequence: Awaited<ReturnType<LearnerSampler["sample"]>>;
    try {
      sequence = await this.sampler.sample({
        prompt: [{ type: "encoded_text", tokens: prompt }],
        maxTokens: sampling.maxTokens,
        temperature: sampling.temperature ?? 1,
        topP: sampling.topP ?? 1,
        seed: sampling.seed ?? deriveSeed(this.seed, this.calls++),
        ...(sampling.stop !== undefined ? { stop: sampling.stop } : {}),
        ...(request.affinityKey !== undefined ? { affinityKey: request.affinityKey } : {}),
      });
    } catch (error) {
      if (error instanceof PolicyError) throw new PolicyError(`${where}: ${error.message}`);
      throw error;
    }
    const eos = new Set(this.tokenizer.eosTokenIds);
    const last = sequence.tokens.at(-1);
    // The end-of-turn token is part of the turn's tokens (it is trained on) but not of its text.
    const textIds = last !== undefined && eos.has(last) ? sequence.tokens.slice(0, -1) : sequence.tokens;
    return {
      text: this.tokenizer.decode(textIds, { skipSpecialTokens: true }),
      finishReason: sequence.stopReason,
      tokenIds: sequence.tokens,
      logProbs: sequence.logProbs,
    };
  }
}
