export { main } from "./cli/main";
export { parseTrainArgs, type TrainArgs } from "./cli/parse-train-args";
export { mergeConfig } from "./config/merge-config";
export {
  type ConfigSources,
  presetConfig,
  readConfigFile,
  resolveRunConfig,
} from "./config/resolve-run-config";
export { trainingCharts } from "./report/training-charts";
export { renderTrainingReport, writeTrainingReport } from "./report/training-report";
export { type RunTrainingOptions, runTraining } from "./run/run-training";
export { TrainingProgress } from "./run/training-progress";
export { TrainerAppError } from "./trainer-app-error";
