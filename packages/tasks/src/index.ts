export { writeFileAtomic } from "./datasets/atomic-write";
export type { Dataset, DatasetFormat } from "./datasets/dataset";
export {
  base64ToDataUri,
  bytesToDataUri,
  imageRefToDataUri,
  sniffImageMime,
} from "./datasets/image-data-uri";
export { detectDatasetFormat, openDataset, readAllTasks } from "./datasets/open-dataset";
export { openJsonlDataset } from "./datasets/read-jsonl";
export { openParquetDataset } from "./datasets/read-parquet";
export { openVlmEvalTsvDataset } from "./datasets/read-vlmeval-tsv";
export {
  EXTRA_INFO_COLUMNS,
  EXTRA_JSON_FIELD,
  IMAGE_SLOT,
  type ReferenceRow,
  type ReferenceRowOptions,
  toReferenceRow,
} from "./datasets/reference-row";
export { toJsonl, writeJsonl, writeJsonlTasks } from "./datasets/write-jsonl";
export {
  PARQUET_ROW_GROUP_SIZE,
  referenceColumnData,
  referenceParquetSchema,
  tasksToParquet,
  writeParquetTasks,
} from "./datasets/write-parquet";
export {
  type OpenAIFunctionToolSchema,
  type SystemPromptOptions,
  systemPrompt,
} from "./prompt/system-prompt";
export { BalancedLabels } from "./random/balanced-labels";
export { InventedNames } from "./random/invented-names";
export { SeededRandom } from "./random/seeded-random";
export { answerInText, answerSubstringOf } from "./suite/answer-in-prompt";
export { IMAGE_SIZE, type TextPlacement } from "./suite/families/image-family";
export {
  DEFAULT_SPLIT_SIZES,
  generateSuite,
  SUITE_DATA_SOURCE,
  SUITE_NUMERIC_TOLERANCE,
  SUITE_TEMPLATES,
} from "./suite/generate-suite";
export { readSuite } from "./suite/read-suite";
export {
  type CorpusDoc,
  SPLIT_NAMES,
  type SplitName,
  type SplitSizes,
  type Suite,
  type SuiteOptions,
  TASK_FAMILIES,
  type TaskFamily,
} from "./suite/suite-types";
export {
  CORPUS_FILE,
  SUITE_FORMATS,
  SUITE_MANIFEST_FILE,
  type SuiteFormat,
  type WriteSuiteOptions,
  type WrittenSuite,
  writeSuite,
} from "./suite/write-suite";
export { DatasetError, TasksError } from "./tasks-error";
