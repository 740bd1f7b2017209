import type { Task } from "@hdpo/core";
import { writeFileAtomic } from "./atomic-write";

/** JSON Lines text: one `JSON.stringify` of each record a line, each line ending in `\n`. */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join("");
}

/**
 * Writes tasks as JSONL, one `Task` object a line (all its fields, images as data URIs), atomically; what
 * `openDataset` reads back as the same tasks.
 */
export async function writeJsonlTasks(path: string, tasks: readonly Task[]): Promise<void> {
  await writeFileAtomic(path, toJsonl(tasks));
}

/** Writes any records as JSONL atomically (e.g. a search corpus of `{id, title, url, text}`). */
export async function writeJsonl(path: string, records: readonly unknown[]): Promise<void> {
  await writeFileAtomic(path, toJsonl(records));
}
