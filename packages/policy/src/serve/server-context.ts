import type { DecoderModel } from "../model/decoder-model";
import type { GenerationBatcher } from "./generation-batcher";
import type { ServerTokenizer } from "./token-log-probs";

/** Sampling defaults for requests that leave a field out. */
export interface GenerationDefaults {
  /** Default 1. */
  temperature?: number;
  /** Default 1. */
  topP?: number;
  /** Default: chat → the rest of the context window; completions → 16 (OpenAI's default). */
  maxTokens?: number;
}

/** What the request handlers share. */
export interface ServerContext {
  model: DecoderModel;
  tokenizer: ServerTokenizer;
  modelName: string;
  created: number;
  batcher: GenerationBatcher;
  defaults: GenerationDefaults;
  maxBatchSize: number;
  maxRequestTokens: number;
}
