export type { AddedToken } from "./added-token";
export { BpeModel } from "./bpe-model";
export { type BpeTrainingOptions, type TrainedBpe, trainBpe } from "./bpe-trainer";
export {
  ByteLevelBpeTokenizer,
  type ByteLevelBpeTokenizerConfig,
  type DecodeOptions,
  type EncodeOptions,
  type TrainOptions,
} from "./byte-level-bpe-tokenizer";
export { BYTE_ORDER, BYTE_TO_CHAR, byteLevelToBytes, bytesToByteLevel, CHAR_TO_BYTE } from "./byte-unicode";
export { IMAGE_PLACEHOLDER, type RenderChatOptions, renderChat, renderObservation } from "./chat-template";
export * from "./special-tokens";
export {
  compileSplitPattern,
  DIGIT_TRIPLES_SPLIT_PATTERN,
  GPT2_SPLIT_PATTERN,
  QWEN2_SPLIT_PATTERN,
  splitIsolated,
} from "./split-pattern";
export {
  type AddedTokenJson,
  type ParsedTokenizerJson,
  parseTokenizerJson,
  type TokenizerJson,
} from "./tokenizer-json";
export {
  type ByteLevelJson,
  type CompiledPipeline,
  compilePipeline,
  type NormalizerJson,
  type PreTokenizerJson,
  qwen2Pipeline,
  type SplitJson,
  type TokenizerPipelineJson,
} from "./tokenizer-pipeline";
export { TRUNCATION_SUFFIX, truncateObservationTokens } from "./truncate-observation";
