import type { Task } from "@hdpo/core";
import { PARQUET_ROW_GROUP_SIZE, referenceColumnData, referenceParquetSchema } from "@hdpo/tasks";
import { fileWriter, ParquetWriter } from "hyparquet-writer";

/** Rows per row group, as `@hdpo/tasks` writes them: bounds a reader's memory, since rows embed their images. */
export const ROW_GROUP_SIZE = PARQUET_ROW_GROUP_SIZE;

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
    this.writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: referenceParquetSchema(listGroundTruth),
    });
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
    this.writer.write({
      rowGroupSize: ROW_GROUP_SIZE,
      columnData: referenceColumnData(this.batch, this.listGroundTruth),
    });
    this.written += this.batch.length;
    this.batch = [];
  }
}
