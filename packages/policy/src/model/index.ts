export {
  DecoderModel,
  type DecodeState,
  disposeDecodeState,
  INITIALIZER_RANGE,
  type LayerCache,
  type PlainWeight,
} from "./decoder-model";
export {
  type AttentionBlocksShape,
  type AttentionForwardResult,
  type AttentionGradients,
  type AttentionInputs,
  FusedAttentionKernel,
} from "./fused-attention-kernel";
export { type FinishReason, type GeneratedSequence, type GenerateOptions, generate } from "./generate";
export {
  type SequenceBatch,
  type SequenceLogProbs,
  type SequenceLogProbsOptions,
  sequenceLogProbs,
} from "./log-probs";
export { deriveSeed, Prng } from "./prng";
export { referenceForward } from "./reference-forward";
export { type SampledToken, type SamplingOptions, sampleToken } from "./sampling";
