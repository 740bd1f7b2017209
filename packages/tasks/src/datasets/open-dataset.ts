import { open } from "node:fs/promises";
import { extname } from "node:path";
import type { Task } from "@hdpo/core";
import { DatasetError } from "../tasks-error";
import type { Dataset, DatasetFormat } from "./dataset";
import { openJsonlDataset } from "./read-jsonl";
import { openParquetDataset } from "./read-parquet";
import { openVlmEvalTsvDataset } from "./read-vlmeval-tsv";

const PARQUET_MAGIC = "PAR1";

/**
 * The format of a dataset file: Parquet by its magic bytes, JSONL when the first non-blank character is `{`,
 * a VLMEvalKit TSV when the first line has tabs; the extension decides only when the content does not.
 * @throws DatasetError when the file cannot be read or matches no format.
 */
export async function detectDatasetFormat(path: string): Promise<DatasetFormat> {
  let head: Buffer;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new DatasetError(
      path,
      undefined,
      undefined,
      `cannot read the dataset (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if (head.subarray(0, 4).toString("latin1") === PARQUET_MAGIC) return "parquet";
  const text = head.toString("utf8").replace(/^\uFEFF/, "");
  const firstLine = text.split("\n", 1)[0] ?? "";
  if (text.trimStart().startsWith("{")) return "jsonl";
  if (firstLine.includes("\t")) return "vlmeval-tsv";
  const extension = extname(path).toLowerCase();
  if (extension === ".parquet") return "parquet";
  if (extension === ".jsonl" || extension === ".json") return "jsonl";
  if (extension === ".tsv") return "vlmeval-tsv";
  throw new DatasetError(
    path,
    undefined,
    undefined,
    "unknown dataset format; expected JSONL (one {id, question, answer} object per line), Parquet (the reference training schema) or a VLMEvalKit TSV",
  );
}

/** Opens a dataset of any supported format (auto-detected); its tasks are checked for unique ids as they stream. */
export async function openDataset(path: string): Promise<Dataset> {
  const format = await detectDatasetFormat(path);
  const dataset =
    format === "parquet"
      ? await openParquetDataset(path)
      : format === "jsonl"
        ? await openJsonlDataset(path)
        : await openVlmEvalTsvDataset(path);
  return { ...dataset, tasks: () => uniqueIds(dataset) };
}

async function* uniqueIds(dataset: Dataset): AsyncGenerator<Task> {
  const seen = new Set<string>();
  let row = 0;
  for await (const task of dataset.tasks()) {
    row++;
    if (seen.has(task.id)) {
      throw new DatasetError(
        dataset.path,
        undefined,
        "id",
        `task #${row} repeats the id "${task.id}"; ids must be unique (resume skips finished ids)`,
      );
    }
    seen.add(task.id);
    yield task;
  }
}

/** Every task of a dataset, in order (for tests and small files). */
export async function readAllTasks(dataset: Dataset): Promise<Task[]> {
  const tasks: Task[] = [];
  for await (const task of dataset.tasks()) tasks.push(task);
  return tasks;
}
