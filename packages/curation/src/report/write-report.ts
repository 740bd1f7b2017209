import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { barChart, type Chart, chartToPng, chartToSvg, histogram } from "@hdpo/plots";
import type { CurationStats } from "./curation-stats";
import { histogramBins } from "./histogram-bins";

interface ReportContext {
  input: string;
  output: string;
  rejected: string;
}

/** One histogram of the report: a title, its bins (for the tables), the chart (SVG in HTML, PNG for Markdown). */
interface Histogram {
  title: string;
  bins: { label: string; count: number }[];
  chart: Chart;
  file: string;
}

/** Writes report.md and report.html into `dir`: rows in/out per stage, reasons, histograms, examples. */
export async function writeReport(
  dir: string,
  stats: CurationStats,
  context: ReportContext,
): Promise<{ markdown: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const histograms = reportHistograms(stats);
  const markdown = join(dir, "report.md");
  const html = join(dir, "report.html");
  await Promise.all(histograms.map((h) => writeFile(join(dir, h.file), chartToPng(h.chart))));
  await writeFile(markdown, renderMarkdown(stats, context, histograms));
  await writeFile(html, renderHtml(stats, context, histograms));
  return { markdown, html };
}

function reportHistograms(stats: CurationStats): Histogram[] {
  const out: Histogram[] = [];
  const rate = (title: string, file: string, values: number[]) => {
    if (values.length === 0) return;
    // Rates over k attempts are multiples of 1/k: one bin centred on each, so no bin straddles two of them.
    const k = attemptCount(values);
    const range: [number, number] = k === undefined ? [0, 1] : [-0.5 / k, 1 + 0.5 / k];
    const count = k === undefined ? 10 : k + 1;
    const bins = histogramBins(values, count, range[0], range[1]).map((bin, i) => ({
      label: k === undefined ? `${bin.from.toFixed(1)}–${bin.to.toFixed(1)}` : `${i}/${k}`,
      count: bin.count,
    }));
    const chart = histogram({
      title,
      id: file.replace(/\.png$/, ""),
      values,
      bins: count,
      range,
      xFormat: "percent",
      xLabel: "rate over k attempts",
      yLabel: "rows",
    });
    out.push({ title, bins, chart, file });
  };
  rate("Pass rate without tools (necessity, passK)", "pass-rate-necessity.png", stats.passK);
  rate("Success rate with tools (mixed)", "success-rate-mixed.png", stats.mixedSuccessRate);
  for (const [name, values] of Object.entries(stats.judgeScores)) {
    const title = `Judge score: ${name.replaceAll("_", " ")}`;
    const bins = [1, 2, 3, 4, 5].map((score) => ({
      label: String(score),
      count: values.filter((v) => v === score).length,
    }));
    const chart = barChart({
      title,
      id: `judge-${name}`,
      bars: bins.map((bin) => ({ label: bin.label, value: bin.count })),
      xLabel: "score",
      yLabel: "rows",
      yFormat: "integer",
    });
    out.push({ title, bins, chart, file: `judge-${name.replaceAll("_", "-")}.png` });
  }
  return out;
}

/** The k of rates that are all multiples of 1/k (k <= 64), or undefined. */
function attemptCount(values: readonly number[]): number | undefined {
  for (let k = 1; k <= 64; k++) {
    if (values.every((value) => Math.abs(value * k - Math.round(value * k)) < 1e-9)) return k;
  }
  return undefined;
}

function renderMarkdown(stats: CurationStats, context: ReportContext, histograms: Histogram[]): string {
  const lines: string[] = [
    "# Curation report",
    "",
    `Input \`${context.input}\`: ${stats.rowsIn} rows; kept ${stats.kept} (\`${context.output}\`), rejected ${stats.rejected}, errors ${stats.errors} (\`${context.rejected}\`).`,
    "",
    "## Rows per stage",
    "",
    "| stage | rows in | rows out | rejected | errors |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...stats.stages.map(
      (stage) =>
        `| ${stage.name} | ${stage.rowsIn} | ${stage.rowsOut} | ${sum(stage.rejected)} | ${sum(stage.errors)} |`,
    ),
    "",
    "## Reasons",
    "",
    "| stage | reason | kind | rows |",
    "| --- | --- | --- | ---: |",
  ];
  for (const stage of stats.stages) {
    for (const [reason, count] of sorted(stage.rejected))
      lines.push(`| ${stage.name} | ${reason} | rejected | ${count} |`);
    for (const [reason, count] of sorted(stage.errors))
      lines.push(`| ${stage.name} | ${reason} | error | ${count} |`);
  }
  for (const histogram of histograms) {
    const peak = Math.max(1, ...histogram.bins.map((bin) => bin.count));
    lines.push(
      "",
      `## ${histogram.title}`,
      "",
      `![${histogram.title}](${histogram.file})`,
      "",
      "| bin | rows | |",
      "| --- | ---: | --- |",
    );
    for (const bin of histogram.bins) {
      lines.push(`| ${bin.label} | ${bin.count} | ${"█".repeat(Math.round((20 * bin.count) / peak))} |`);
    }
  }
  lines.push("", "## Examples of each rejection", "");
  for (const [key, examples] of Object.entries(stats.examples)) {
    lines.push(`### ${key}`, "");
    for (const example of examples)
      lines.push(`- row ${example.index} \`${example.id}\`: ${escapeMarkdown(example.detail)}`);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

function renderHtml(stats: CurationStats, context: ReportContext, histograms: Histogram[]): string {
  const rows = stats.stages
    .map(
      (stage) =>
        `<tr><td>${esc(stage.name)}</td><td>${stage.rowsIn}</td><td>${stage.rowsOut}</td><td>${sum(stage.rejected)}</td><td>${sum(stage.errors)}</td></tr>`,
    )
    .join("\n");
  const reasons = stats.stages
    .flatMap((stage) => [
      ...sorted(stage.rejected).map(
        ([r, c]) => `<tr><td>${esc(stage.name)}</td><td>${esc(r)}</td><td>rejected</td><td>${c}</td></tr>`,
      ),
      ...sorted(stage.errors).map(
        ([r, c]) => `<tr><td>${esc(stage.name)}</td><td>${esc(r)}</td><td>error</td><td>${c}</td></tr>`,
      ),
    ])
    .join("\n");
  const charts = histograms
    .map((histogram) => `<h2>${esc(histogram.title)}</h2>\n${chartToSvg(histogram.chart)}`)
    .join("\n");
  const examples = Object.entries(stats.examples)
    .map(
      ([key, list]) =>
        `<h3>${esc(key)}</h3><ul>${list.map((e) => `<li>row ${e.index} <code>${esc(e.id)}</code>: ${esc(e.detail)}</li>`).join("")}</ul>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Curation report</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}td:first-child,th:first-child,td:nth-child(2){text-align:left}code{font-size:.9em}</style>
</head><body>
<h1>Curation report</h1>
<p>Input <code>${esc(context.input)}</code>: ${stats.rowsIn} rows; kept ${stats.kept} (<code>${esc(context.output)}</code>), rejected ${stats.rejected}, errors ${stats.errors} (<code>${esc(context.rejected)}</code>).</p>
<h2>Rows per stage</h2>
<table><tr><th>stage</th><th>rows in</th><th>rows out</th><th>rejected</th><th>errors</th></tr>
${rows}
</table>
<h2>Reasons</h2>
<table><tr><th>stage</th><th>reason</th><th>kind</th><th>rows</th></tr>
${reasons}
</table>
${charts}
<h2>Examples of each rejection</h2>
${examples}
</body></html>
`;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function sorted(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function esc(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function escapeMarkdown(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}
