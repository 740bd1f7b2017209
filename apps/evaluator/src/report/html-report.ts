import { describeInfrastructureCounts } from "@hdpo/agent-loop";
import type { Prediction, Summary } from "@hdpo/evaluation";
import { chartToSvg, escapeHtml } from "@hdpo/plots";
import { formatMs, formatNumber, formatPercent } from "./format-metric";
import { accuracyVsToolUseChart, categoryAccuracyChart, toolCallsChart } from "./report-charts";
import { type ScatterPoint, scatterPointOf } from "./scatter-point";

/** Items listed in the report (the rest are in predictions.jsonl): keeps a 10,000-item report small. */
export const REPORT_ITEM_LIMIT = 200;

export const REPORT_STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1340px}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.plots{display:flex;flex-wrap:wrap;gap:1rem}.plot{border:1px solid #ddd;background:#fff}
.plot .grid{stroke:#e5e5e5}.plot .axis{stroke:#444}.plot text{font-size:11px;fill:#333}.plot .plot-title{font-size:14px;font-weight:600}
.ok{color:#1a7f37}.bad{color:#c62828}pre{white-space:pre-wrap;max-width:900px;font-size:12px;background:#fafafa;padding:6px}`;

/** A metric row; `value` is kept raw in `data-value` so tests and scripts can read it back exactly. */
function metricRow(name: string, label: string, value: number | null | undefined, text: string): string {
  const raw = value === null || value === undefined ? "" : String(value);
  return `<tr><th>${escapeHtml(label)}</th><td data-metric="${name}" data-value="${raw}">${escapeHtml(text)}</td></tr>`;
}

/** The scatter's points for one run: the run as a whole and each category. */
export function runScatterPoints(summary: Summary): ScatterPoint[] {
  const points = [scatterPointOf("overall", summary)];
  for (const [category, metrics] of Object.entries(summary.perCategory))
    points.push(scatterPointOf(category, metrics));
  return points.filter((point): point is ScatterPoint => point !== undefined);
}

/**
 * `report.html` of a run: self-contained (inline SVG and CSS, no scripts), with the plots (accuracy per category,
 * T histogram, accuracy vs tool-use rate), the summary tables and the first items. All model and dataset text is
 * escaped.
 */
export function renderRunReport(summary: Summary, predictions: readonly Prediction[], title: string): string {
  const categories = Object.entries(summary.perCategory);
  const plots = [
    categoryAccuracyChart(categories.map(([label, m]) => ({ label, value: m.accuracy, n: m.n }))),
    toolCallsChart(summary.toolCallsHistogram),
    accuracyVsToolUseChart(runScatterPoints(summary)),
  ]
    .map(chartToSvg)
    .join("");
  const overview = [
    metricRow(
      "n",
      "items",
      summary.n,
      `${summary.n} of ${summary.planned}${summary.complete ? "" : " (incomplete)"}`,
    ),
    metricRow("accuracy", "accuracy", summary.accuracy, formatPercent(summary.accuracy, 2)),
    metricRow(
      "toolUseRate",
      "tool-use rate (T ≥ 1)",
      summary.toolUseRate,
      formatPercent(summary.toolUseRate, 2),
    ),
    metricRow(
      "meanToolCalls",
      "mean tool calls",
      summary.meanToolCalls,
      formatNumber(summary.meanToolCalls, 3),
    ),
    metricRow("excluded", "excluded by the judge error policy", summary.excluded, String(summary.excluded)),
    metricRow("judgeErrors", "judge errors", summary.judgeErrors, String(summary.judgeErrors)),
    ...notScoredRows(summary),
    metricRow(
      "invalidToolCalls",
      "invalid tool calls",
      summary.invalidToolCalls,
      String(summary.invalidToolCalls),
    ),
    ...(summary.toolNecessity === undefined
      ? []
      : [
          metricRow(
            "blindToolRate",
            "blind tool use (tool where unnecessary)",
            summary.blindToolRate,
            formatPercent(summary.blindToolRate, 2),
          ),
          metricRow(
            "missedToolRate",
            "missed tool use (no tool where required)",
            summary.missedToolRate,
            formatPercent(summary.missedToolRate, 2),
          ),
        ]),
  ].join("");
  const categoryRows = categories
    .map(
      ([name, m]) =>
        `<tr data-category="${escapeHtml(name)}"><td>${escapeHtml(name)}</td><td>${m.n}</td><td data-value="${m.accuracy ?? ""}">${formatPercent(m.accuracy)}</td><td>${formatPercent(m.toolUseRate)}</td><td>${formatNumber(m.meanToolCalls, 3)}</td></tr>`,
    )
    .join("");
  const necessity = summary.toolNecessity;
  const confusion =
    necessity === undefined
      ? ""
      : `<h2>Tool necessity (meta-cognition)</h2><table class="confusion"><tr><th></th><th>tool used</th><th>no tool</th><th>accuracy</th></tr>
<tr><th>required</th><td data-cell="required-used">${necessity.confusion.required.used}</td><td data-cell="required-notUsed">${necessity.confusion.required.notUsed}</td><td>${formatPercent(necessity.accuracy.required)}</td></tr>
<tr><th>unnecessary</th><td data-cell="unnecessary-used">${necessity.confusion.unnecessary.used}</td><td data-cell="unnecessary-notUsed">${necessity.confusion.unnecessary.notUsed}</td><td>${formatPercent(necessity.accuracy.unnecessary)}</td></tr></table>`;
  const toolRows = Object.entries(summary.toolCallsByName)
    .map(([name, count]) => `<tr><td>${escapeHtml(name)}</td><td>${count}</td></tr>`)
    .join("");
  const judgeRows = [
    ...Object.entries(summary.judge.decidedBy).map(
      ([who, count]) => `<tr><th>decided by ${who}</th><td>${count}</td></tr>`,
    ),
    ...Object.entries(summary.judge.byRule).map(
      ([rule, count]) => `<tr><th>rule ${escapeHtml(rule)}</th><td>${count}</td></tr>`,
    ),
    `<tr><th>cached verdicts</th><td>${summary.judge.cached}</td></tr>`,
    `<tr><th>error policy</th><td>${escapeHtml(summary.judge.errorPolicy)}</td></tr>`,
    ...Object.entries(summary.judge.errorCauses).map(
      ([cause, count]) => `<tr><th>error: ${escapeHtml(cause)}</th><td>${count}</td></tr>`,
    ),
  ].join("");
  const timing = [
    `<tr><th>latency p50 / p95 per item</th><td>${formatMs(summary.latencyMs.p50)} / ${formatMs(summary.latencyMs.p95)}</td></tr>`,
    `<tr><th>model / tool / judge time (summed)</th><td>${formatMs(summary.timeMs.model)} / ${formatMs(summary.timeMs.tools)} / ${formatMs(summary.timeMs.judge)}</td></tr>`,
    `<tr><th>model share of model + tool time</th><td>${formatPercent(summary.modelTimeShare)}</td></tr>`,
    `<tr><th>tokens prompt / completion / observation</th><td>${summary.tokens.prompt} / ${summary.tokens.completion} / ${summary.tokens.observation}</td></tr>`,
  ].join("");
  const shown = predictions.slice(0, REPORT_ITEM_LIMIT);
  const items = shown
    .map((p) => {
      const truth = Array.isArray(p.groundTruth) ? p.groundTruth.join(" | ") : p.groundTruth;
      const mark = p.verdict.status === "error" ? "judge error" : p.verdict.correct ? "correct" : "wrong";
      return `<tr class="item"><td>${escapeHtml(p.id)}</td><td>${escapeHtml(p.category ?? "")}</td><td>${p.toolCalls}</td><td class="${p.verdict.correct ? "ok" : "bad"}">${mark}</td><td>${escapeHtml(p.prediction)}</td><td>${escapeHtml(truth)}</td><td><details><summary>response</summary><pre>${escapeHtml(p.response)}</pre></details></td></tr>`;
    })
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${REPORT_STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<div class="plots">${plots}</div>
<h2>Summary</h2><table class="overview">${overview}</table>
<h2>Per category</h2><table class="per-category"><tr><th>category</th><th>n</th><th>accuracy</th><th>tool-use rate</th><th>mean T</th></tr>${categoryRows}</table>
${confusion}
<h2>Tools</h2><table class="tools"><tr><th>tool</th><th>calls</th></tr>${toolRows}</table>
<h2>Judge</h2><table class="judge">${judgeRows}</table>
<h2>Time and tokens</h2><table class="timing">${timing}</table>
<h2>Items (${shown.length} of ${predictions.length}; all in predictions.jsonl)</h2>
<table class="items"><tr><th>id</th><th>category</th><th>T</th><th>verdict</th><th>prediction</th><th>ground truth</th><th></th></tr>${items}</table>
</body></html>
`;
}

/** Items a failed service kept from being scored, when there were any (older summaries lack the field). */
function notScoredRows(summary: Summary): string[] {
  const counts = summary.notScored;
  if (counts === undefined) return [];
  const total = counts["tool-server"] + counts.model + counts.judge;
  if (total === 0) return [];
  return [
    metricRow(
      "notScored",
      "not scored: a service failed (retried on resume)",
      total,
      describeInfrastructureCounts(counts),
    ),
  ];
}
