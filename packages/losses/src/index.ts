export { clippedSurrogate, type SurrogateInputs, type SurrogateResult } from "./clipped-surrogate";
export {
  clippedSurrogateReference,
  type SurrogateReferenceBatch,
  type SurrogateReferenceResult,
} from "./clipped-surrogate-reference";
export { type HdpoLossInputs, type HdpoLossResult, hdpoLoss } from "./hdpo-loss";
export {
  type HdpoLossReferenceBatch,
  type HdpoLossReferenceResult,
  hdpoLossReference,
} from "./hdpo-loss-reference";
export { LossError } from "./losses-error";
export {
  AGG_MODES,
  type AggMode,
  DEFAULT_HDPO_LOSS_OPTIONS,
  type HdpoLossOptions,
  type SurrogateOptions,
} from "./options";
export type { Advantages, Matrix } from "./reference-batch";
