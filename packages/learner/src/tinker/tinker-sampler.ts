import type { LearnerSampledSequence, LearnerSampleRequest, LearnerSampler } from "@hdpo/core";
import { LearnerError } from "../learner-error";
import { type FuturePolling, retrieveFuture } from "./futures";
import type { TinkerHttp } from "./http";
import { API_PREFIX, FutureResponseSchema, SampleResultSchema } from "./protocol";
import { textTokens } from "./wire-datum";

/**
 * Samples from one sampling session (weights pushed by `save_weights_for_sampler`): one `asample` per request,
 * one sequence each. Its log-probs are the sampler's; a result of a non-greedy draw whose log-probs are all zero is
 * refused, since the server zero-fills them when the engine returned none (spec §2.17, §4.5) and a ratio against
 * them is meaningless.
 */
export class TinkerSampler implements LearnerSampler {
  /** The next unused `seq_id`; with the session id it forms the server's routing key. */
  private seq = 0;
  /** Each affinity key's `seq_id`, so that a conversation's turns share a routing key (least recently used last). */
  private readonly keys = new Map<string, number>();

  constructor(
    private readonly http: TinkerHttp,
    readonly samplingSessionId: string,
    private readonly polling: FuturePolling,
    /** Affinity keys remembered at once; the least recently used one is forgotten first. */
    private readonly maxAffinityKeys = MAX_AFFINITY_KEYS,
  ) {}

  async sample(request: LearnerSampleRequest): Promise<LearnerSampledSequence> {
    const what = "sample";
    const prompt = textTokens(request.prompt, `${what}: prompt`);
    checkRequest(request, prompt.length);
    const stop = request.stop === undefined || request.stop.length === 0 ? null : [...request.stop];
    const body = {
      sampling_session_id: this.samplingSessionId,
      seq_id: this.seqIdFor(request.affinityKey),
      num_samples: 1,
      prompt: { chunks: [{ type: "encoded_text", tokens: prompt }] },
      sampling_params: {
        max_tokens: request.maxTokens,
        temperature: request.temperature,
        top_p: request.topP,
        top_k: -1,
        seed: request.seed,
        stop,
      },
      prompt_logprobs: false,
      topk_prompt_logprobs: 0,
      type: "sample",
    };
    // Sampling changes no server state and the seed fixes the draw, so repeating a lost request is harmless.
    const future = await this.http.call("POST", `${API_PREFIX}/asample`, body, FutureResponseSchema, {
      what,
      idempotent: true,
    });
    const result = await retrieveFuture(this.http, future.request_id, SampleResultSchema, what, this.polling);
    const sequence = result.sequences[0];
    if (result.sequences.length !== 1 || sequence === undefined) {
      throw new LearnerError(
        `${what}: asked for 1 sequence, the server returned ${result.sequences.length}; the server is broken.`,
      );
    }
    const { tokens, logprobs } = sequence;
    if (logprobs.length !== tokens.length || tokens.length > request.maxTokens) {
      throw new LearnerError(
        `${what}: the server returned ${tokens.length} tokens with ${logprobs.length} log-probs for max_tokens ` +
          `${request.maxTokens}; the server is broken.`,
      );
    }
    // A greedy draw (temperature 0) is from a point mass, whose log-prob is exactly 0: there zeros are an answer,
    // not a sign of zero-filling.
    if (request.temperature > 0 && tokens.length > 0 && logprobs.every((value) => value === 0)) {
      throw new LearnerError(
        `${what}: every log-prob the server returned is 0 (it zero-fills them when its engine returned none); ` +
          "importance ratios against them are meaningless. Configure the server's inference engine to return logprobs.",
      );
    }
    return { tokens, logProbs: logprobs, stopReason: sequence.stop_reason };
  }

  /**
   * The `seq_id` of a request: the same for every request with one affinity key (SkyRL routes
   * `<sampling_session_id>:<seq_id>` to one vLLM engine, so a conversation's turns reuse its prefix cache), a fresh
   * one without a key.
   */
  private seqIdFor(key: string | undefined): number {
    if (key === undefined) return this.seq++;
    const known = this.keys.get(key);
    this.keys.delete(key);
    const id = known ?? this.seq++;
    this.keys.set(key, id);
    if (this.keys.size > this.maxAffinityKeys) this.keys.delete(this.keys.keys().next().value!);
    return id;
  }
}

/** Conversations remembered at once: far more than any step has in flight. */
const MAX_AFFINITY_KEYS = 100_000;

function checkRequest(request: LearnerSampleRequest, promptLength: number): void {
  const fail = (message: string): never => {
    throw new LearnerError(`sample: ${message}`);
  };
  if (promptLength === 0) fail("the prompt has no tokens; pass the conversation's ids.");
  if (!Number.isInteger(request.maxTokens) || request.maxTokens <= 0) {
    fail(`maxTokens must be an integer > 0, got ${request.maxTokens}.`);
  }
  if (!Number.isFinite(request.temperature) || request.temperature < 0) {
    fail(`temperature must be a finite number ≥ 0 (0: greedy), got ${request.temperature}.`);
  }
  if (!Number.isFinite(request.topP) || request.topP <= 0 || request.topP > 1) {
    fail(`topP must be in (0, 1], got ${request.topP}.`);
  }
  if (!Number.isSafeInteger(request.seed)) fail(`seed must be an integer, got ${request.seed}.`);
  const stop = request.stop ?? [];
  const numbers = stop.filter((entry) => typeof entry === "number").length;
  const strings = stop.filter((entry) => typeof entry === "string").length;
  if (numbers + strings !== stop.length || (numbers > 0 && strings > 0)) {
    fail("stop must be all strings (stop strings) or all token ids, not a mix.");
  }
}
