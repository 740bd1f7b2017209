export {
  type AdamOptions,
  createDataParallelTrainer,
  type DataParallelGradients,
  type DataParallelStepResult,
  type DataParallelTrainer,
  type DataParallelTrainerOptions,
} from "./data-parallel-trainer";
export type { LossContext, LossFunction, LossModule, LossResult } from "./loss-module";
export { maskedNllLossModule } from "./masked-nll-loss";
export { responseTokenLogProbs } from "./response-log-probs";
export { type ShardedBatch, splitSequenceBatch } from "./split-sequence-batch";
