import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { InfrastructureCounts } from "@hdpo/agent-loop";
import { type Prediction, type Summary, summarize } from "@hdpo/evaluation";
import type { ErrorPolicy } from "@hdpo/judge";
import { accCsv } from "../metrics/acc-csv";
import { renderRunReport, runScatterPoints } from "./html-report";
import { renderScatterPng } from "./report-charts";

/** Context for the outputs beyond the predictions. */
export interface RunOutputsContext {
  errorPolicy: ErrorPolicy;
  planned: number;
  complete: boolean;
  /** The run's name in titles (the model id). */
  label: string;
  /** Items this invocation could not score because a service failed. */
  notScored?: InfrastructureCounts;
}

/** Writes summary.json, acc.csv, report.html and headline.png into `dir`, each replaced atomically. */
export async function writeRunOutputs(
  dir: string,
  predictions: readonly Prediction[],
  context: RunOutputsContext,
): Promise<Summary> {
  const summary = summarize(predictions, context);
  const title = `hdpo-eval: ${context.label}`;
  await writeAtomically(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  await writeAtomically(join(dir, "acc.csv"), accCsv(summary));
  await writeAtomically(join(dir, "report.html"), renderRunReport(summary, predictions, title));
  await writeAtomically(
    join(dir, "headline.png"),
    renderScatterPng(runScatterPoints(summary), { title: `${context.label}: accuracy vs tool use` }),
  );
  return summary;
}

/** Write to a temporary file, then rename: a reader never sees half a file. */
export async function writeAtomically(path: string, content: string | Buffer): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
