import { dirname } from "node:path";
import { MessageSchema, type Task } from "@hdpo/core";
import { z } from "zod";
import { DatasetError } from "../tasks-error";
import type { Dataset } from "./dataset";
import { imageRefToDataUri } from "./image-data-uri";
import { countNonBlankLines, readLines } from "./line-reader";
import { RowFields } from "./row-fields";

/**
 * A JSONL dataset, one task per line: `id`, `question`, `answer` (a string or a list of acceptable strings),
 * optional `category`, `images` (data URIs or file paths relative to the file, read into data URIs),
 * `toolNecessity` ("required" | "unnecessary"), `choices`, `dataSource`, `extraInfo` (an object) and `prompt` (core
 * messages): every field of a `Task`, so `writeJsonlTasks` round-trips. Lines are streamed; blank lines are skipped.
 */
export async function openJsonlDataset(path: string): Promise<Dataset> {
  const size = await countNonBlankLines(path);
  return { path, format: "jsonl", size, tasks: () => jsonlTasks(path) };
}

async function* jsonlTasks(path: string): AsyncGenerator<Task> {
  const baseDir = dirname(path);
  for await (const { line, number } of readLines(path)) {
    if (line.trim() === "") continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new DatasetError(
        path,
        number,
        undefined,
        `expected one JSON object per line: ${(error as Error).message}`,
      );
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new DatasetError(path, number, undefined, "expected a JSON object ({id, question, answer, ...})");
    }
    yield await jsonlTask(new RowFields(path, number, record as Record<string, unknown>), baseDir);
  }
}

async function jsonlTask(fields: RowFields, baseDir: string): Promise<Task> {
  const task: Task = {
    id: fields.id("id"),
    question: fields.string("question"),
    answer: fields.answer("answer"),
  };
  const category = fields.optionalString("category");
  if (category !== undefined) task.category = category;
  const necessity = fields.optionalToolNecessity("toolNecessity");
  if (necessity !== undefined) task.toolNecessity = necessity;
  const choices = fields.optionalStringList("choices");
  if (choices !== undefined) task.choices = choices;
  const dataSource = fields.optionalString("dataSource");
  if (dataSource !== undefined) task.dataSource = dataSource;
  if (fields.has("extraInfo")) task.extraInfo = fields.object("extraInfo");
  if (fields.has("prompt")) {
    const prompt = z.array(MessageSchema).min(1).safeParse(fields.raw("prompt"));
    if (!prompt.success) {
      fields.fail(
        "prompt",
        `expected a non-empty list of {role, content} messages: ${z.prettifyError(prompt.error)}`,
      );
    }
    task.prompt = prompt.data;
  }
  if (fields.has("images")) {
    const raw = fields.raw("images");
    const refs = typeof raw === "string" ? [raw] : fields.optionalStringList("images")!;
    task.images = await Promise.all(
      refs.map(async (ref) => {
        try {
          return await imageRefToDataUri(ref, baseDir);
        } catch (error) {
          return fields.fail("images", (error as Error).message);
        }
      }),
    );
  }
  return task;
}
