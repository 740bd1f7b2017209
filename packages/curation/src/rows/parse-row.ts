import { TaskSchema, TrajectorySchema } from "@hdpo/core";
import type { z } from "zod";
import type { CurationRow } from "./curation-row";

/**
 * One JSONL line as a row: a Trajectory when it has `turns` (with an optional `task`), else a Task. Anything else
 * becomes an `invalid` row naming the first problem, so one bad line is a rejection, not a crash.
 */
export function parseJsonlRow(line: string, index: number): CurationRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { index, kind: "invalid", problem: `not JSON: ${(error as Error).message}` };
  }
  return rowFromValue(value, index);
}

/** A parsed JSON value as a row (see {@link parseJsonlRow}). */
export function rowFromValue(value: unknown, index: number): CurationRow {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { index, kind: "invalid", problem: "not a JSON object" };
  }
  const record = value as Record<string, unknown>;
  if ("turns" in record) {
    const trajectory = TrajectorySchema.safeParse(record);
    if (!trajectory.success)
      return { index, kind: "invalid", problem: `not a Trajectory: ${brief(trajectory.error)}` };
    if (record.task === undefined) return { index, kind: "trajectory", trajectory: trajectory.data };
    const task = TaskSchema.safeParse(record.task);
    if (!task.success) return { index, kind: "invalid", problem: `task: not a Task: ${brief(task.error)}` };
    return { index, kind: "trajectory", trajectory: trajectory.data, task: task.data };
  }
  const task = TaskSchema.safeParse(record);
  if (!task.success) return { index, kind: "invalid", problem: `not a Task: ${brief(task.error)}` };
  return { index, kind: "task", task: task.data };
}

function brief(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid";
  const path = issue.path.length > 0 ? issue.path.join(".") : "(row)";
  return `${path}: ${issue.message}`;
}
