import type { Task } from "@hdpo/core";
import type { Annotations } from "../rows/row-decision";

/**
 * A kept JSONL line with the stages' annotations: a task's go into `extraInfo` (as the reference keeps `pass8` in
 * `extra_info`), a trajectory's into its `task.extraInfo` when it has a task, else a top-level `curation` object.
 * Lines without annotations are written back byte for byte.
 */
export function annotateJsonlLine(line: string, annotations: Annotations | undefined): string {
  if (annotations === undefined || Object.keys(annotations).length === 0) return line;
  const record = JSON.parse(line) as Record<string, unknown>;
  if ("turns" in record) {
    const task = record.task as Record<string, unknown> | undefined;
    if (task !== undefined && typeof task === "object") {
      task.extraInfo = { ...(task.extraInfo as object | undefined), ...annotations };
    } else {
      record.curation = { ...(record.curation as object | undefined), ...annotations };
    }
  } else {
    record.extraInfo = { ...(record.extraInfo as object | undefined), ...annotations };
  }
  return JSON.stringify(record);
}

/** A task with the annotations merged into `extraInfo` (for Parquet, where they travel in `extra_json`). */
export function annotateTask(task: Task, annotations: Annotations | undefined): Task {
  if (annotations === undefined || Object.keys(annotations).length === 0) return task;
  return { ...task, extraInfo: { ...task.extraInfo, ...annotations } };
}
