export {
  type LoadedRunCheckpoint,
  loadRunCheckpoint,
  type RunPosition,
  saveRunCheckpoint,
  type TrainingPhase,
} from "./checkpoint/run-checkpoint";
export { main } from "./cli/main";
export { parseTrainArgs, type TrainArgs } from "./cli/parse-train-args";
export { mergeConfig } from "./config/merge-config";
export { PRESET_NAMES, PRESETS, type PresetName } from "./config/presets";
export {
  type ConfigSources,
  presetConfig,
  readConfigFile,
  resolveRunConfig,
} from "./config/resolve-run-config";
export {
  EvalSettingsSchema,
  parseRunConfig,
  type RunConfig,
  type RunConfigInput,
  RunConfigSchema,
  RunSettingsSchema,
  SuiteSettingsSchema,
} from "./config/run-config";
export { trainingCharts } from "./report/training-charts";
export { renderTrainingReport, writeTrainingReport } from "./report/training-report";
export { COMPACT_SYSTEM_PROMPT } from "./run/compact-system-prompt";
export type { EvalResult } from "./run/eval-result";
export { type EvaluationSetup, evaluatePolicy } from "./run/evaluate-policy";
export {
  isRlStepLine,
  type MetricsLine,
  MetricsLog,
  type RlMetricsLine,
  type RlStepLine,
  type SftMetricsLine,
} from "./run/metrics-log";
export { type RunFiles, runFiles } from "./run/run-files";
export { beforeAfterTable, type RunSummary } from "./run/run-summary";
export { type TrainRunOptions, type TrainRunResult, trainRun } from "./run/train-run";
export { TrainingProgress } from "./run/training-progress";
export { TrainerAppError } from "./trainer-app-error";
