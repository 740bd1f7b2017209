import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeInfrastructureCounts } from "@hdpo/agent-loop";
import { chartToPng, chartToSvg, escapeHtml } from "@hdpo/plots";
import { writeFileAtomic } from "@hdpo/policy";
import type { EvalResult, MetricsLine } from "@hdpo/trainer";
import { formatRate } from "@hdpo/trainer";
import { trainingCharts } from "./training-charts";

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1340px}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}.plots{display:flex;flex-wrap:wrap;gap:1rem}.plot{border:1px solid #ddd;background:#fff}
.plot .grid{stroke:#e5e5e5}.plot .axis{stroke:#444}.plot text{font-size:11px;fill:#333}.plot .plot-title{font-size:14px;font-weight:600}`;

/** What the report shows besides the curves. */
export interface ReportContext {
  title: string;
  status: string;
  sft?: EvalResult;
  hdpo?: EvalResult;
  config: unknown;
}

/** The numeric fields of an evaluation. */
type EvalNumber = Exclude<keyof EvalResult, "firstError" | "notScored">;

const EVAL_ROWS: readonly [string, EvalNumber, boolean][] = [
  ["accuracy", "accuracy", true],
  ["tool-use rate, tool-unnecessary tasks", "toolRateUnnecessary", true],
  ["tool-use rate, tool-required tasks", "toolRateNecessary", true],
  ["accuracy, tool-unnecessary tasks", "accuracyUnnecessary", true],
  ["accuracy, tool-required tasks", "accuracyNecessary", true],
  ["mean tool calls (T)", "meanToolCalls", false],
  ["tasks (n)", "n", false],
  ["errored rollouts", "errors", false],
];

function evalTable(sft: EvalResult | undefined, hdpo: EvalResult | undefined): string {
  if (sft === undefined && hdpo === undefined) return "<p>No evaluation yet.</p>";
  const cell = (result: EvalResult | undefined, key: EvalNumber, rate: boolean): string => {
    const value = result?.[key];
    const text =
      value === undefined || value === null
        ? "-"
        : rate
          ? formatRate(value)
          : Number.isInteger(value)
            ? String(value)
            : value.toFixed(2);
    return `<td data-value="${value ?? ""}">${text}</td>`;
  };
  const notScored = (result: EvalResult | undefined): string => {
    const total = notScoredTotal(result);
    const text = total === 0 ? "0" : describeInfrastructureCounts(result!.notScored!);
    return `<td data-value="${total}">${escapeHtml(text)}</td>`;
  };
  const rows =
    EVAL_ROWS.map(
      ([label, key, rate]) =>
        `<tr data-metric="${key}"><th>${escapeHtml(label)}</th>${cell(sft, key, rate)}${cell(hdpo, key, rate)}</tr>`,
    ).join("") +
    (notScoredTotal(sft) + notScoredTotal(hdpo) === 0
      ? ""
      : `<tr data-metric="notScored"><th>not scored: a service failed</th>${notScored(sft)}${notScored(hdpo)}</tr>`);
  return `<table class="before-after"><tr><th>held-out test split</th><th>SFT</th><th>HDPO</th></tr>${rows}</table>`;
}

/** `report.html`: self-contained (inline SVG, no scripts) curves, the before/after table and the config. */
export function renderTrainingReport(lines: readonly MetricsLine[], context: ReportContext): string {
  const plots = trainingCharts(lines).map(chartToSvg).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(context.title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(context.title)}</h1>
<p class="status">${escapeHtml(context.status)}</p>
<h2>Before / after</h2>${evalTable(context.sft, context.hdpo)}
<h2>Curves</h2><div class="plots">${plots}</div>
<h2>Config</h2><pre>${escapeHtml(JSON.stringify(context.config, null, 2))}</pre>
</body></html>
`;
}

/** Writes `report.html` (atomically) and one PNG per curve under `plots/`; returns the report's path. */
export async function writeTrainingReport(
  out: string,
  lines: readonly MetricsLine[],
  context: ReportContext,
): Promise<string> {
  const plotsDir = join(out, "plots");
  await mkdir(plotsDir, { recursive: true });
  for (const chart of trainingCharts(lines)) {
    await writeFile(join(plotsDir, `${chart.id}.png`), chartToPng(chart, { pixelRatio: 2 }));
  }
  const path = join(out, "report.html");
  await writeFileAtomic(path, renderTrainingReport(lines, context));
  return path;
}

/** Test tasks a failing service kept from being scored (0 for results written before this was recorded). */
function notScoredTotal(result: EvalResult | undefined): number {
  const counts = result?.notScored;
  return counts === undefined ? 0 : counts["tool-server"] + counts.model + counts.judge;
}
