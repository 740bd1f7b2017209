export { evaluate } from "./evaluate";
export { EvaluationError } from "./evaluation-error";
export {
  DEFAULT_EVALUATION_CONCURRENCY,
  type EvaluationEvent,
  type EvaluationJudge,
  type EvaluationOptions,
  type EvaluationRun,
  type FailedItem,
  type JudgeOutageWording,
  type RolloutSettings,
  type UnscoredItem,
} from "./evaluation-options";
export { quantile, ratio } from "./percentile";
export { type Prediction, PredictionSchema } from "./prediction";
export { PredictionsLog, type PredictionsOnDisk, readPredictions } from "./predictions-log";
export {
  type GroupMetrics,
  groupMetrics,
  NO_CATEGORY,
  type Summary,
  type SummaryContext,
  summarize,
  type ToolNecessityMetrics,
  toolNecessityMetrics,
} from "./summary";
