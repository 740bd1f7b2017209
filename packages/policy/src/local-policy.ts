import type { DecoderModel } from "./model/decoder-model";
import { ModelSampler } from "./sampling/model-sampler";
import { SamplerPolicy } from "./sampling/sampler-policy";
import type { ByteLevelBpeTokenizer } from "./tokenizer/byte-level-bpe-tokenizer";

/** Options of {@link LocalPolicy}. */
export interface LocalPolicyOptions {
  model: DecoderModel;
  tokenizer: ByteLevelBpeTokenizer;
  name?: string;
  /** Seed for requests that give none; each such request draws from its own derived stream. */
  seed?: number;
}

/** The in-process model behind the agent loop's `Policy` seam: a {@link SamplerPolicy} over its {@link ModelSampler}. */
export class LocalPolicy extends SamplerPolicy {
  protected override readonly label = "LocalPolicy";

  constructor(options: LocalPolicyOptions) {
    super({
      sampler: new ModelSampler(options.model, options.tokenizer),
      tokenizer: options.tokenizer,
      name: options.name ?? "hdpo-local",
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
  }
}
