import { join } from "node:path";
import { writeFileAtomic } from "../datasets/atomic-write";
import type { ReferenceRowOptions } from "../datasets/reference-row";
import { writeJsonl, writeJsonlTasks } from "../datasets/write-jsonl";
import { writeParquetTasks } from "../datasets/write-parquet";
import { TasksError } from "../tasks-error";
import { SPLIT_NAMES, type Suite } from "./suite-types";

export const SUITE_FORMATS = ["parquet", "jsonl"] as const;
export type SuiteFormat = (typeof SUITE_FORMATS)[number];
/** The corpus file `writeSuite` writes, for the `local` search provider (`HDPO_SEARCH_CORPUS`). */
export const CORPUS_FILE = "corpus.jsonl";
/** The manifest `writeSuite` writes: seed, formats and task counts. */
export const SUITE_MANIFEST_FILE = "suite.json";

export interface WriteSuiteOptions extends ReferenceRowOptions {
  /** Default both. */
  formats?: readonly SuiteFormat[];
}

/** What `writeSuite` wrote, by split and format (absolute or relative as `dir` was given). */
export interface WrittenSuite {
  files: Record<string, string>;
  corpus: string;
  manifest: string;
}

/**
 * Writes a suite into `dir`: `train|val|test.parquet` (reference schema) and/or `.jsonl` (one Task a line),
 * `corpus.jsonl` and `suite.json`, each file atomically.
 * @throws TasksError for an unknown format.
 */
export async function writeSuite(
  dir: string,
  suite: Suite,
  options: WriteSuiteOptions = {},
): Promise<WrittenSuite> {
  const formats = options.formats ?? SUITE_FORMATS;
  const unknown = formats.filter((format) => !SUITE_FORMATS.includes(format));
  if (unknown.length > 0 || formats.length === 0) {
    throw new TasksError(
      `formats must be a non-empty list of ${SUITE_FORMATS.join(", ")}; got ${JSON.stringify(formats)}.`,
    );
  }
  const files: Record<string, string> = {};
  for (const split of SPLIT_NAMES) {
    for (const format of formats) {
      const path = join(dir, `${split}.${format}`);
      if (format === "parquet") await writeParquetTasks(path, suite.tasks[split], options);
      else await writeJsonlTasks(path, suite.tasks[split]);
      files[`${split}.${format}`] = path;
    }
  }
  const corpus = join(dir, CORPUS_FILE);
  await writeJsonl(corpus, suite.corpus);
  const manifest = join(dir, SUITE_MANIFEST_FILE);
  const counts = Object.fromEntries(SPLIT_NAMES.map((split) => [split, suite.tasks[split].length]));
  await writeFileAtomic(
    manifest,
    `${JSON.stringify({ seed: suite.seed, formats, tasks: counts, corpusDocuments: suite.corpus.length }, null, 2)}\n`,
  );
  return { files, corpus, manifest };
}
