import type { Task } from "@hdpo/core";
import { EXTRA_INFO_COLUMNS, EXTRA_JSON_FIELD, toReferenceRow } from "@hdpo/tasks";
import { fileWriter, ParquetWriter, type SchemaElement } from "hyparquet-writer";

/** Rows per row group, as `@hdpo/tasks` writes them: bounds a reader's memory, since rows embed their images. */
export const ROW_GROUP_SIZE = 256;

const TEXT = { type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" } as const;

/** The reference training schema exactly as `writeParquetTasks` of `@hdpo/tasks` writes it. */
function referenceSchema(listGroundTruth: boolean): SchemaElement[] {
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
 * Writes tasks to a Parquet file one row group at a time (hyparquet-writer's `ParquetWriter`), so memory holds one
 * group, never the file. `listGroundTruth` must be known up front: a column has one type.
 */
export class ParquetTaskWriter {
  private readonly writer: ParquetWriter;
  private batch: Task[] = [];
  written = 0;

  constructor(
    path: string,
    private readonly listGroundTruth: boolean,
  ) {
    this.writer = new ParquetWriter({ writer: fileWriter(path), schema: referenceSchema(listGroundTruth) });
  }

  add(task: Task): void {
    this.batch.push(task);
    if (this.batch.length >= ROW_GROUP_SIZE) this.flushGroup();
  }

  finish(): void {
    this.flushGroup();
    this.writer.finish();
  }

  private flushGroup(): void {
    if (this.batch.length === 0) return;
    const rows = this.batch.map((task) => toReferenceRow(task));
    const list = this.listGroundTruth;
    const groundTruth = (value: string | string[]) => (list && typeof value === "string" ? [value] : value);
    this.writer.write({
      rowGroupSize: ROW_GROUP_SIZE,
      columnData: [
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
      ],
    });
    this.written += rows.length;
    this.batch = [];
  }
}
