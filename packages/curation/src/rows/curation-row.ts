import type { Task, Trajectory } from "@hdpo/core";

/** The formats rows are read from and written back in. */
export type InputFormat = "jsonl" | "parquet";

/**
 * A trajectory row of a JSONL file: a `@hdpo/core` Trajectory, optionally with the `task` it solved (question,
 * answer, images), which the model-based stages and the re-execution's `image_1…` need.
 */
export type TrajectoryRow = Trajectory & { task?: Task };

/** One input row as the stages see it; `index` is its 0-based position among the file's rows. */
export type CurationRow =
  | { index: number; kind: "task"; task: Task }
  | { index: number; kind: "trajectory"; trajectory: Trajectory; task?: Task }
  /** A line that is not JSON or matches neither schema; hygiene (or the input check) rejects it. */
  | { index: number; kind: "invalid"; problem: string };

/** The task a row is about, when it has one. */
export function rowTask(row: CurationRow): Task | undefined {
  return row.kind === "invalid" ? undefined : row.task;
}

/** A short, stable name for a row in reports: its task or trajectory id, else its index. */
export function rowLabel(row: CurationRow): string {
  if (row.kind === "task") return row.task.id;
  if (row.kind === "trajectory") return row.trajectory.id;
  return `row-${row.index}`;
}
