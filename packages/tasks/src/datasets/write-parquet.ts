import type { Task } from "@hdpo/core";
import { type ColumnSource, parquetWriteBuffer, type SchemaElement } from "hyparquet-writer";
import { writeFileAtomic } from "./atomic-write";
import {
  EXTRA_INFO_COLUMNS,
  EXTRA_JSON_FIELD,
  type ReferenceRowOptions,
  toReferenceRow,
} from "./reference-row";

/** Rows per Parquet row group: bounds a reader's memory, since rows embed their images. */
export const PARQUET_ROW_GROUP_SIZE = 256;

const TEXT = { type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" } as const;

/** The reference schema's nested layout; `listGroundTruth` when any task has a list of acceptable answers. */
export function referenceParquetSchema(listGroundTruth: boolean): SchemaElement[] {
  const groundTruth: SchemaElement[] = listGroundTruth
    ? [
        { name: "ground_truth", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", ...TEXT },
      ]
    : [{ name: "ground_truth", ...TEXT }];
  return [
    { name: "root", num_children: 6 },
    { name: "data_source", ...TEXT },
    { name: "prompt", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
    { name: "role", ...TEXT },
    { name: "content", ...TEXT },
    { name: "images", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
    { name: "bytes", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" },
    { name: "path", ...TEXT },
    { name: "ability", ...TEXT },
    { name: "reward_model", repetition_type: "OPTIONAL", num_children: 2 },
    ...groundTruth,
    { name: "style", ...TEXT },
    { name: "extra_info", repetition_type: "OPTIONAL", num_children: EXTRA_INFO_COLUMNS.length + 1 },
    ...[...EXTRA_INFO_COLUMNS, EXTRA_JSON_FIELD].map((name) => ({ name, ...TEXT })),
  ];
}

/**
 * Tasks as a Parquet file in the reference training schema (metis-protocol.md §7): `data_source`, `prompt`
 * [{role, content}] with `<image>` slots, `images` [{bytes, path}], `ability`, `reward_model` {ground_truth,
 * style: "rule"}, `extra_info` {index, question, answer, toolNecessity, category, split, extra_json}. Every
 * ground truth is a list when any task has a list of acceptable answers (a Parquet column has one type).
 * @throws Error when an image is not a `data:` URI.
 */
export function tasksToParquet(tasks: readonly Task[], options: ReferenceRowOptions = {}): Uint8Array {
  const listGroundTruth = tasks.some((task) => Array.isArray(task.answer));
  const buffer = parquetWriteBuffer({
    schema: referenceParquetSchema(listGroundTruth),
    rowGroupSize: PARQUET_ROW_GROUP_SIZE,
    columnData: referenceColumnData(tasks, listGroundTruth, options),
  });
  return new Uint8Array(buffer);
}

/**
 * The columns of `referenceParquetSchema(listGroundTruth)` for `tasks`; with `listGroundTruth`, a single ground
 * truth is written as a one-element list (a Parquet column has one type). For writers that stream row groups.
 */
export function referenceColumnData(
  tasks: readonly Task[],
  listGroundTruth: boolean,
  options: ReferenceRowOptions = {},
): ColumnSource[] {
  const rows = tasks.map((task) => toReferenceRow(task, options));
  const groundTruth = (value: string | string[]) =>
    listGroundTruth && typeof value === "string" ? [value] : value;
  return [
    { name: "data_source", data: rows.map((row) => row.data_source) },
    { name: "prompt", data: rows.map((row) => row.prompt) },
    { name: "images", data: rows.map((row) => row.images) },
    { name: "ability", data: rows.map((row) => row.ability) },
    {
      name: "reward_model",
      data: rows.map((row) => ({
        ...row.reward_model,
        ground_truth: groundTruth(row.reward_model.ground_truth),
      })),
    },
    { name: "extra_info", data: rows.map((row) => row.extra_info) },
  ];
}

/** `tasksToParquet` written to `path` atomically (temporary file, then rename). */
export async function writeParquetTasks(
  path: string,
  tasks: readonly Task[],
  options: ReferenceRowOptions = {},
): Promise<void> {
  await writeFileAtomic(path, tasksToParquet(tasks, options));
}
