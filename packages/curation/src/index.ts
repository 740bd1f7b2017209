// The public API of @hdpo/curation: re-exports only.
export { buildStages } from "./cli/build-stages";
export { type CliOptions, CliUsageError, HELP, parseCli } from "./cli/parse-cli";
export { CurationError } from "./curation-error";
export { type ImageHeader, readImageHeader } from "./images/image-header";
export { Journal, type JournalHeader, type JournalState } from "./journal/journal";
export { annotateJsonlLine, annotateTask } from "./output/annotate";
export { ParquetTaskWriter, ROW_GROUP_SIZE } from "./output/parquet-task-writer";
export { Limiter } from "./pipeline/limiter";
export { type CurationProgress, formatProgress } from "./pipeline/progress";
export { type CurationOptions, type CurationResult, runCuration } from "./pipeline/run-curation";
export type { CurationStats, RejectionExample, StageStats } from "./report/curation-stats";
export { writeReport } from "./report/write-report";
export {
  type CurationRow,
  type InputFormat,
  rowLabel,
  rowTask,
  type TrajectoryRow,
} from "./rows/curation-row";
export { type CurationInput, detectInputFormat, openInput } from "./rows/open-input";
export { parseJsonlRow, rowFromValue } from "./rows/parse-row";
export type { Annotations, RowDecision, StageDecision } from "./rows/row-decision";
export {
  compareObservation,
  type ObservationTolerance,
  type ObservedOutput,
} from "./stages/compare-observation";
export { DuplicateIndex, type DuplicateIndexOptions, type DuplicateMatch } from "./stages/duplicate-index";
export { createHygieneStage, type HygieneOptions } from "./stages/hygiene-stage";
export { createJudgeStage, type JudgeStageOptions } from "./stages/judge-stage";
export { createMixedStage, type MixedOptions } from "./stages/mixed-stage";
export {
  createNecessityStage,
  type NecessityOptions,
  NO_TOOLS_SYSTEM_PROMPT,
} from "./stages/necessity-stage";
export { createReexecStage, type ReexecOptions } from "./stages/reexec-stage";
export {
  parseRubricReply,
  RUBRIC_CRITERIA,
  RUBRIC_SYSTEM_PROMPT,
  type RubricCriterion,
  type RubricScores,
} from "./stages/rubric";
export {
  STAGE_DESCRIPTIONS,
  STAGE_NAMES,
  type Stage,
  type StageContext,
  type StageName,
} from "./stages/stage";
export {
  exactDigest,
  MINHASH_SIZE,
  minhash,
  normalizeText,
  signatureSimilarity,
} from "./stages/text-fingerprint";
