// The engine, its records and summaries are @hdpo/evaluation's (one implementation for the evaluator and the
// trainer); re-exported here.
export {
  EvaluationError,
  type FailedItem,
  type GroupMetrics,
  groupMetrics,
  NO_CATEGORY,
  type Prediction,
  PredictionSchema,
  PredictionsLog,
  readPredictions,
  type Summary,
  type SummaryContext,
  summarize,
  type ToolNecessityMetrics,
  toolNecessityMetrics,
  type UnscoredItem,
} from "@hdpo/evaluation";
// Datasets are read by @hdpo/tasks (one implementation for the evaluator and the trainer); re-exported here.
export {
  type Dataset,
  DatasetError,
  type DatasetFormat,
  detectDatasetFormat,
  openDataset,
  readAllTasks,
} from "@hdpo/tasks";
export { main } from "./cli/main";
export { parseRunArgs } from "./cli/parse-run-args";
export { compareMarkdown, compareRows } from "./compare/compare-table";
export { type LoadedRun, loadRun, loadRuns } from "./compare/load-run";
export { compareScatterPoints, renderCompareHtml, writeCompare } from "./compare/write-compare";
export { EvaluatorError } from "./evaluator-error";
export { accCsv } from "./metrics/acc-csv";
export { renderRunReport, runScatterPoints } from "./report/html-report";
export {
  accuracyVsToolUseChart,
  categoryAccuracyChart,
  renderScatterPng,
  type ScatterPngOptions,
  toolCallsChart,
} from "./report/report-charts";
export type { ScatterPoint } from "./report/scatter-point";
export { writeRunOutputs } from "./report/write-run-outputs";
export { ProgressReporter } from "./run/progress";
export { RUN_DEFAULTS, type RunConfig } from "./run/run-config";
export { RUN_FILES, type RunControls, type RunResult, runEvaluation } from "./run/run-evaluation";
export { buildSystemPrompt, type OpenAIFunctionToolSchema } from "./run/system-prompt";
export { createToolExecutor, type RunTools } from "./run/tool-executor-factory";
export { parseToolsSpec, type ToolsSpec } from "./run/tools-spec";
