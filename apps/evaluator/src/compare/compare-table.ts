import { formatNumber, formatPercent } from "../report/format-metric";
import type { LoadedRun } from "./load-run";

/** The columns of the side-by-side table. */
export const COMPARE_COLUMNS = [
  "run",
  "n",
  "accuracy",
  "tool-use rate",
  "mean T",
  "blind tool use",
  "missed tool use",
  "judge errors",
] as const;

/** One row of cells per run, in COMPARE_COLUMNS order. */
export function compareRows(runs: readonly LoadedRun[]): string[][] {
  return runs.map(({ label, summary }) => [
    label,
    String(summary.n),
    formatPercent(summary.accuracy, 2),
    formatPercent(summary.toolUseRate, 2),
    formatNumber(summary.meanToolCalls, 3),
    summary.toolNecessity === undefined ? "–" : formatPercent(summary.blindToolRate, 2),
    summary.toolNecessity === undefined ? "–" : formatPercent(summary.missedToolRate, 2),
    String(summary.judgeErrors),
  ]);
}

/** A Markdown table (also readable in a terminal: columns are padded). */
export function compareMarkdown(runs: readonly LoadedRun[]): string {
  const rows = [COMPARE_COLUMNS as readonly string[], ...compareRows(runs)];
  const widths = COMPARE_COLUMNS.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, col) => cell.replaceAll("|", "\\|").padEnd(widths[col]!)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}
