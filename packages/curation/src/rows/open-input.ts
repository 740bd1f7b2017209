import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { openParquetDataset } from "@hdpo/tasks";
import { CurationError } from "../curation-error";
import type { CurationRow, InputFormat } from "./curation-row";
import { parseJsonlRow } from "./parse-row";

/** An input file opened for streaming: its format, its row count (for the ETA), and its rows in order. */
export interface CurationInput {
  readonly path: string;
  readonly format: InputFormat;
  readonly size: number;
  /** Rows in file order, each parsed (never throws for a bad JSONL line: it becomes an `invalid` row). */
  rows(): AsyncIterable<CurationRow>;
  /** The raw rows in order, as written back: JSONL lines (blank lines skipped), or nothing for Parquet. */
  lines(): AsyncIterable<string>;
}

/** JSONL or Parquet, detected from the first bytes (`PAR1`) and else from the extension. */
export async function detectInputFormat(path: string): Promise<InputFormat> {
  let head: Buffer;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(4);
      const { bytesRead } = await handle.read(buffer, 0, 4, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new CurationError(
      `cannot read the input ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check --input.`,
    );
  }
  if (head.toString("latin1") === "PAR1") return "parquet";
  if (path.toLowerCase().endsWith(".parquet")) {
    throw new CurationError(
      `${path} ends in .parquet but does not start with PAR1: it is not a Parquet file.`,
    );
  }
  return "jsonl";
}

/** Opens an input file (JSONL of Task or Trajectory rows, or the reference Parquet schema) for streaming. */
export async function openInput(path: string): Promise<CurationInput> {
  const format = await detectInputFormat(path);
  if (format === "parquet") {
    let dataset: Awaited<ReturnType<typeof openParquetDataset>>;
    try {
      dataset = await openParquetDataset(path);
    } catch (error) {
      throw new CurationError(`cannot open ${path} as Parquet: ${(error as Error).message}`);
    }
    return {
      path,
      format,
      size: dataset.size,
      async *rows() {
        let index = 0;
        try {
          for await (const task of dataset.tasks()) yield { index: index++, kind: "task" as const, task };
        } catch (error) {
          throw new CurationError(
            `Parquet row ${index + 1} of ${path} cannot be read (${(error as Error).message}); the Parquet reader cannot skip a malformed row, fix or drop it first.`,
          );
        }
      },
      async *lines() {},
    };
  }
  let size = 0;
  for await (const _line of jsonlLines(path)) size++;
  return {
    path,
    format,
    size,
    async *rows() {
      let index = 0;
      for await (const line of jsonlLines(path)) yield parseJsonlRow(line, index++);
    },
    lines: () => jsonlLines(path),
  };
}

/** The non-blank lines of a JSONL file, streamed (a trailing `\r` removed). */
async function* jsonlLines(path: string): AsyncGenerator<string> {
  const reader = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Infinity,
  });
  for await (const line of reader) if (line.trim() !== "") yield line;
}
