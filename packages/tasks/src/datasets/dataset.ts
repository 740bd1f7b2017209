import type { Task } from "@hdpo/core";

/** The dataset formats the evaluator reads. */
export type DatasetFormat = "jsonl" | "parquet" | "vlmeval-tsv";

/** A dataset opened for reading: its size up front (for progress and ETA) and its tasks, streamed in order. */
export interface Dataset {
  readonly path: string;
  readonly format: DatasetFormat;
  /** Rows in the file (tasks, before any --limit). */
  readonly size: number;
  /** Tasks in file order; rejects with a DatasetError at the first malformed row. */
  tasks(): AsyncIterable<Task>;
}
