import { type Chart, lineChart, scatterChart } from "@hdpo/plots";
import type { CurvePoint, ReproAggregates, ReproMetric } from "./aggregate-repro";

/** A chart of the study with its file stem (`<id>.png`) and what the markdown calls it. */
export interface ReproChart {
  id: string;
  caption: string;
  chart: Chart;
}

const SIZE = { width: 800, height: 450 };

function curveChart(
  aggregates: ReproAggregates,
  id: string,
  title: string,
  yLabel: string,
  value: (p: CurvePoint) => number | null,
  percent: boolean,
): Chart {
  return lineChart({
    ...SIZE,
    id,
    title,
    xLabel: "RL step",
    yLabel,
    yRange: [0, 1],
    ...(percent ? { yFormat: "percent" as const } : {}),
    series: aggregates.methods.map((m) => ({
      name: m.name,
      points: m.curve.map((p) => [p.step, value(p)] as const),
    })),
    emptyMessage: "no RL steps",
  });
}

function figureOne(
  aggregates: ReproAggregates,
  id: string,
  x: ReproMetric,
  title: string,
  xLabel: string,
): Chart {
  return scatterChart({
    ...SIZE,
    id,
    title,
    xLabel,
    yLabel: "accuracy",
    xFormat: "percent",
    yFormat: "percent",
    xRange: [0, 1],
    yRange: [0, 1],
    // Methods first, so that each keeps the colour of its curves; the SFT start last.
    points: [
      ...aggregates.methods.map((m) => ({ label: m.name, x: m.final[x].mean, y: m.final.accuracy.mean })),
      { label: "SFT start", x: aggregates.sft[x].mean, y: aggregates.sft.accuracy.mean },
    ],
    emptyMessage: "no finished runs",
  });
}

/**
 * The study's figures: per-step curves (mean over seeds, one line per method) of the training rollouts' accuracy,
 * tool use by necessity and ρ, and two Figure-1-style scatters of held-out accuracy against tool use.
 */
export function reproductionCharts(aggregates: ReproAggregates): ReproChart[] {
  return [
    {
      id: "curve-accuracy",
      caption: "Accuracy of the training rollouts over RL steps",
      chart: curveChart(
        aggregates,
        "curve-accuracy",
        "Rollout accuracy",
        "accuracy",
        (p) => p.accuracy,
        true,
      ),
    },
    {
      id: "curve-tool-unnecessary",
      caption: "Tool-use rate on tool-unnecessary training prompts",
      chart: curveChart(
        aggregates,
        "curve-tool-unnecessary",
        "Tool use, tool-unnecessary prompts",
        "tool-use rate",
        (p) => p.toolRateUnnecessary,
        true,
      ),
    },
    {
      id: "curve-tool-necessary",
      caption: "Tool-use rate on tool-necessary training prompts",
      chart: curveChart(
        aggregates,
        "curve-tool-necessary",
        "Tool use, tool-necessary prompts",
        "tool-use rate",
        (p) => p.toolRateNecessary,
        true,
      ),
    },
    {
      id: "curve-rho",
      caption: "ρ, the share of rollouts with a non-zero tool advantage",
      chart: curveChart(
        aggregates,
        "curve-rho",
        "rho (rollouts with a tool advantage)",
        "rho",
        (p) => p.rho,
        false,
      ),
    },
    {
      id: "figure1-unnecessary",
      caption: "Held-out accuracy vs tool-use rate on tool-unnecessary tasks, one point per method",
      chart: figureOne(
        aggregates,
        "figure1-unnecessary",
        "toolRateUnnecessary",
        "Accuracy vs tool use (unnecessary)",
        "tool-use rate, tool-unnecessary tasks",
      ),
    },
    {
      id: "figure1-overall",
      caption: "Held-out accuracy vs tool-use rate over all tasks, one point per method",
      chart: figureOne(
        aggregates,
        "figure1-overall",
        "toolRate",
        "Accuracy vs tool use (all tasks)",
        "tool-use rate, all tasks",
      ),
    },
  ];
}
