export { type ChatEncoding, chatEncoding } from "./chat-encoding";
export {
  type ColdStartOptions,
  type ColdStartTrajectory,
  coldStartTrajectories,
} from "./cold-start-trajectories";
export { type ColdStartCall, type ColdStartPlan, coldStartPlan } from "./cold-start-turns";
export { conversationMessages } from "./conversation";
export {
  type CopySequenceOptions,
  type CopySource,
  copySequences,
  copySource,
  DEFAULT_COPY_SEQUENCE_OPTIONS,
} from "./copy-sequences";
export { directRationale } from "./direct-rationale";
export {
  type GroupMember,
  groupsWithoutSignal,
  type ToolTermScope,
  toolTermScope,
} from "./groups-without-signal";
export { learnerDatum, responseValues } from "./learner-datum";
export { createModel } from "./model-from-config";
export { type PaddedMatrix, padResponses, sequenceBatch } from "./padded-batch";
export { learnerSamplerPolicy, type PolicySource } from "./policy-source";
export {
  type CustomLoss,
  type CustomLossBatch,
  customLoss,
  type PolicySample,
  ppoUpdate,
  type UpdateContext,
  type UpdateMetrics,
} from "./ppo-update";
export { pythonSolution } from "./python-solution";
export { rolloutMetrics, type SliceMetrics } from "./rl-metrics";
export { type RlState, type RlStepMetrics, type RlStepResult, rlStep } from "./rl-step";
export { type AdvantageRollout, type RolloutAdvantages, rolloutAdvantages } from "./rollout-advantages";
export { samplePrompts } from "./sample-prompts";
export { type RolloutScore, scoreRollouts } from "./score-rollouts";
export { sftBatch } from "./sft-batch";
export { sftExample } from "./sft-example";
export { sftLearningRate } from "./sft-learning-rate";
export { type SftStepMetrics, sftStep } from "./sft-step";
export type { TokenSequence } from "./token-sequence";
export { COMPACT_SYSTEM_PROMPT } from "./train/compact-system-prompt";
export { configFingerprint } from "./train/config-fingerprint";
export type { EvalResult } from "./train/eval-result";
export { type EvaluationSetup, evaluatePolicy, type PolicyEvaluation } from "./train/evaluate-policy";
export { formatRate } from "./train/format-rate";
export {
  isRlStepLine,
  type MetricsLine,
  MetricsLog,
  type RlMetricsLine,
  type RlStepLine,
  type SftMetricsLine,
} from "./train/metrics-log";
export { PRESET_NAMES, PRESETS, type PresetName } from "./train/presets";
export {
  type LoadedRunCheckpoint,
  loadRunCheckpoint,
  type RunPosition,
  saveRunCheckpoint,
  type TrainingPhase,
} from "./train/run-checkpoint";
export {
  EvalSettingsSchema,
  LearnerSettingsSchema,
  parseRunConfig,
  type RunConfig,
  type RunConfigInput,
  RunConfigSchema,
  RunSettingsSchema,
  SamplerSettingsSchema,
  SuiteSettingsSchema,
} from "./train/run-config";
export { type RunFiles, runFiles } from "./train/run-files";
export {
  type LearnerFactory,
  type LearnerFit,
  type LearnerStart,
  learnerFactoryFor,
  learnerFit,
  tfjsLearnerFactory,
} from "./train/run-learner";
export { policySourceFor } from "./train/run-sampler";
export { beforeAfterTable, type RunSummary } from "./train/run-summary";
export { saveStartingPolicy, writeStartingPolicy } from "./train/starting-policy";
export { describeEval, type TrainOptions, type TrainResult, train } from "./train/train";
export type { TrainEvent, TrainEventListener, TrainPhase } from "./train/train-events";
export {
  generateRunSuite,
  prepareTraining,
  runSystemPrompt,
  type TrainingSetup,
  writeRunSuite,
} from "./train/training-setup";
export { trainChatTokenizer } from "./train-tokenizer";
export {
  type AdamSettings,
  AdamSettingsSchema,
  type AdvantageMode,
  AdvantageModeSchema,
  checkRlSettings,
  type ModelSizes,
  ModelSizesSchema,
  parseRlSettings,
  parseTrainerConfig,
  type RlSettings,
  RlSettingsSchema,
  type SftSettings,
  SftSettingsSchema,
  type TokenizerSettings,
  TokenizerSettingsSchema,
  type TrainerConfig,
  type TrainerConfigInput,
  TrainerConfigSchema,
} from "./trainer-config";
export { TrainerError } from "./trainer-error";
export { hashString, TurnSeededPolicy } from "./turn-seeded-policy";
