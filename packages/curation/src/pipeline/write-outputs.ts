import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Journal } from "../journal/journal";
import { annotateJsonlLine, annotateTask } from "../output/annotate";
import { ParquetTaskWriter } from "../output/parquet-task-writer";
import { type CurationStats, StatsCollector } from "../report/curation-stats";
import type { CurationInput } from "../rows/open-input";
import type { RowDecision } from "../rows/row-decision";

interface WriteOutputsInput {
  input: CurationInput;
  output: string;
  rejected: string;
  journal: Journal;
  stageNames: readonly string[];
  examplesPerReason: number;
}

/**
 * Rebuilds the outputs from the input and the journal, in input order: kept rows (annotated) in the input's format,
 * rejected rows as JSONL. Both go to temporary files renamed into place, so a kill here leaves the old outputs (or
 * none) and the next run rewrites them.
 */
export async function writeOutputs(options: WriteOutputsInput): Promise<CurationStats> {
  const { input, journal } = options;
  const stats = new StatsCollector(options.stageNames, options.examplesPerReason);
  await mkdir(dirname(options.output), { recursive: true });
  await mkdir(dirname(options.rejected), { recursive: true });
  const keptTemp = temporaryPath(options.output);
  const rejectedTemp = temporaryPath(options.rejected);
  const rejectedFile = createWriteStream(rejectedTemp);
  const decisionOf = (index: number): RowDecision => {
    const decision = journal.read(index);
    if (decision === undefined) throw new Error(`row ${index} has no decision in ${journal.path}`);
    return decision;
  };
  const onDecision = async (decision: RowDecision) => {
    stats.add(decision);
    if (decision.decision !== "keep") {
      await write(rejectedFile, `${JSON.stringify(decision)}\n`);
    }
  };
  try {
    if (input.format === "jsonl") {
      const keptFile = createWriteStream(keptTemp);
      try {
        let index = 0;
        for await (const line of input.lines()) {
          const decision = decisionOf(index++);
          await onDecision(decision);
          if (decision.decision === "keep")
            await write(keptFile, `${annotateJsonlLine(line, decision.annotations)}\n`);
        }
      } finally {
        await end(keptFile);
      }
    } else {
      // A Parquet column has one type: whether ground truths are lists must be known before the first group.
      let listGroundTruth = false;
      for await (const row of input.rows()) {
        if (row.kind === "task" && journal.state.status[row.index] === 1 && Array.isArray(row.task.answer)) {
          listGroundTruth = true;
          break;
        }
      }
      const writer = new ParquetTaskWriter(keptTemp, listGroundTruth);
      for await (const row of input.rows()) {
        const decision = decisionOf(row.index);
        await onDecision(decision);
        if (decision.decision === "keep" && row.kind === "task")
          writer.add(annotateTask(row.task, decision.annotations));
      }
      writer.finish();
    }
    await end(rejectedFile);
    await rename(keptTemp, options.output);
    await rename(rejectedTemp, options.rejected);
  } catch (error) {
    rejectedFile.destroy();
    await rm(keptTemp, { force: true });
    await rm(rejectedTemp, { force: true });
    throw error;
  }
  return stats.result();
}

function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

function write(stream: WriteStream, text: string): Promise<void> {
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off("drain", done);
      stream.off("error", done);
      if (error) reject(error);
      else resolve();
    };
    stream.on("drain", done);
    stream.on("error", done);
  });
}

function end(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.closed) {
      resolve();
      return;
    }
    stream.once("error", reject);
    stream.end(() => resolve());
  });
}
