import type { LearnerChunk, LearnerSampledSequence, LearnerSampleRequest, LearnerSampler } from "@hdpo/core";
import type { DecoderModel } from "../model/decoder-model";
import { PolicyError } from "../policy-error";
import type { TextCodec } from "../text-codec";

/**
 * The in-process model as a token-in/token-out sampler (the Learner seam's sampler): one KV-cache generation per
 * request, its seed fixing the draw. The room left in the context caps `maxTokens`; a prompt that fills it is
 * refused. End-of-sequence ids always stop; numeric `stop` entries add stop ids, string entries stop strings.
 */
export class ModelSampler implements LearnerSampler {
  constructor(
    private readonly model: DecoderModel,
    private readonly codec: TextCodec,
  ) {}

  async sample(request: LearnerSampleRequest): Promise<LearnerSampledSequence> {
    const prompt = promptTokens(request.prompt, this.model.config.vocab_size);
    const room = this.model.config.max_position_embeddings - prompt.length;
    if (room <= 0) {
      throw new PolicyError(
        `the conversation is ${prompt.length} tokens, at or over the model's max_position_embeddings ` +
          `(${this.model.config.max_position_embeddings}); shorten it or truncate observations.`,
      );
    }
    const stop = request.stop ?? [];
    const stopIds = stop.filter((s): s is number => typeof s === "number");
    const stopStrings = stop.filter((s): s is string => typeof s === "string");
    const [sequence] = this.model.generate([prompt], {
      temperature: request.temperature,
      topP: request.topP,
      maxTokens: Math.min(request.maxTokens, room),
      seed: request.seed,
      stop: stopStrings,
      ...(stopIds.length > 0 ? { stopTokenIds: [...this.codec.eosTokenIds, ...stopIds] } : {}),
      codec: this.codec,
    });
    if (sequence === undefined) throw new PolicyError("sample: the model returned no sequence.");
    return { tokens: sequence.tokenIds, logProbs: sequence.logProbs, stopReason: sequence.finishReason };
  }
}

/** The prompt's token ids: text chunks only (this model reads no images), every id in the vocabulary. */
export function promptTokens(chunks: readonly LearnerChunk[], vocab: number): number[] {
  const ids: number[] = [];
  for (const chunk of chunks) {
    if (chunk.type !== "encoded_text") {
      throw new PolicyError(
        "sample: the prompt has an image chunk, but this model is a text model; send token chunks only.",
      );
    }
    ids.push(...chunk.tokens);
  }
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (ids.length === 0 || bad >= 0) {
    throw new PolicyError(
      ids.length === 0
        ? "sample: the prompt has no tokens; pass the conversation's ids."
        : `sample: prompt token ${bad} = ${ids[bad]} is not a token id of this model (0 to ${vocab - 1}).`,
    );
  }
  return ids;
}
