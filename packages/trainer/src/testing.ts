// Fixtures for downstream tests (the trainer app, the evaluator): a tiny pipeline over real tools in seconds.
export {
  suiteRuntime,
  type TinyPipeline,
  textTasks,
  tinyPipeline,
  trainerSystemPrompt,
} from "./test-fixtures";
export { TINY_CONFIG } from "./train/tiny-config";
