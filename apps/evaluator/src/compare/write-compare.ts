import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chartToSvg, escapeHtml } from "@hdpo/plots";
import { REPORT_STYLE } from "../report/html-report";
import { accuracyVsToolUseChart, renderScatterPng } from "../report/report-charts";
import { type ScatterPoint, scatterPointOf } from "../report/scatter-point";
import { writeAtomically } from "../report/write-run-outputs";
import { COMPARE_COLUMNS, compareMarkdown, compareRows } from "./compare-table";
import type { LoadedRun } from "./load-run";

/** One point per run: accuracy against tool-use rate (the paper's Figure 1 for your own models). */
export function compareScatterPoints(runs: readonly LoadedRun[]): ScatterPoint[] {
  return runs
    .map((run) => scatterPointOf(run.label, run.summary))
    .filter((p): p is ScatterPoint => p !== undefined);
}

/** The self-contained compare.html: the scatter and the table. */
export function renderCompareHtml(runs: readonly LoadedRun[]): string {
  const header = COMPARE_COLUMNS.map((column) => `<th>${escapeHtml(column)}</th>`).join("");
  const rows = compareRows(runs)
    .map((row) => `<tr class="run">${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hdpo-eval compare</title><style>${REPORT_STYLE}</style></head>
<body><h1>hdpo-eval: ${runs.length} runs</h1>
<div class="plots">${chartToSvg(accuracyVsToolUseChart(compareScatterPoints(runs), "Accuracy vs tool-use rate per run"))}</div>
<table class="compare"><tr>${header}</tr>${rows}</table>
</body></html>
`;
}

/** Writes compare.md, compare.html and compare.png into `outDir`; returns the Markdown table. */
export async function writeCompare(runs: readonly LoadedRun[], outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const markdown = compareMarkdown(runs);
  await writeAtomically(join(outDir, "compare.md"), `${markdown}\n`);
  await writeAtomically(join(outDir, "compare.html"), renderCompareHtml(runs));
  await writeAtomically(
    join(outDir, "compare.png"),
    renderScatterPng(compareScatterPoints(runs), { title: "Accuracy vs tool use per run" }),
  );
  return markdown;
}
