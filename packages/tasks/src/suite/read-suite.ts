import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Task } from "@hdpo/core";
import { openDataset, readAllTasks } from "../datasets/open-dataset";
import { TasksError } from "../tasks-error";
import { type CorpusDoc, SPLIT_NAMES, type SplitName, type Suite } from "./suite-types";
import { CORPUS_FILE, SUITE_MANIFEST_FILE, type SuiteFormat } from "./write-suite";

/**
 * Reads a suite written by `writeSuite`: its splits from the given format (default JSONL when present, which keeps
 * tasks exactly as generated; Parquet rows carry the reference's prompt and `extra_info` keys too), its corpus
 * and seed.
 * @throws TasksError when a split or the manifest is missing; DatasetError for malformed rows.
 */
export async function readSuite(dir: string, options: { format?: SuiteFormat } = {}): Promise<Suite> {
  let manifest: { seed: number | string };
  try {
    manifest = JSON.parse(await readFile(join(dir, SUITE_MANIFEST_FILE), "utf8"));
  } catch (error) {
    throw new TasksError(
      `${join(dir, SUITE_MANIFEST_FILE)} cannot be read (${(error as Error).message}); is ${dir} a folder written by writeSuite?`,
    );
  }
  const format = options.format ?? ((await exists(join(dir, "train.jsonl"))) ? "jsonl" : "parquet");
  const tasks = {} as Record<SplitName, Task[]>;
  for (const split of SPLIT_NAMES) {
    const path = join(dir, `${split}.${format}`);
    if (!(await exists(path)))
      throw new TasksError(`${path} is missing; write the suite with format ${format}.`);
    tasks[split] = await readAllTasks(await openDataset(path));
  }
  const corpus = (await readFile(join(dir, CORPUS_FILE), "utf8"))
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as CorpusDoc);
  return { seed: manifest.seed, tasks, corpus };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
