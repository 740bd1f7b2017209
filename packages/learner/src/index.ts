export { clipByGlobalNorm } from "./clip-gradients";
export { type DatumBatch, datumBatch } from "./datum-batch";
export { LearnerError } from "./learner-error";
export { encodeOptimizerState, restoreOptimizerState } from "./optimizer-state";
export { TfjsLearner, type TfjsLearnerOptions } from "./tfjs-learner";
export { TINKER_PROTOCOL_VERSION } from "./tinker/protocol";
export { TinkerLearner, type TinkerLearnerOptions } from "./tinker/tinker-learner";
export { TinkerSampler } from "./tinker/tinker-sampler";
