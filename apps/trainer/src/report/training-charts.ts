import { type LineChart, type LineSeries, lineChart } from "@hdpo/plots";
import { isRlStepLine, type MetricsLine, type RlStepLine, type SftMetricsLine } from "@hdpo/trainer";

type RlLine = RlStepLine;

function rlLines(lines: readonly MetricsLine[]): RlLine[] {
  return lines.filter(isRlStepLine);
}

function series(name: string, lines: readonly RlLine[], value: (l: RlLine) => number | null): LineSeries {
  return { name, points: lines.map((l) => [l.step, value(l)] as const) };
}

/** The report's curves, one chart each: id → chart (ids become `data-plot` and PNG file names). */
export function trainingCharts(lines: readonly MetricsLine[]): LineChart[] {
  const sft = lines.filter((l): l is SftMetricsLine => l.phase === "sft");
  const rl = rlLines(lines);
  return [
    lineChart({
      title: "SFT loss (model tokens)",
      id: "sft-loss",
      xLabel: "SFT step",
      yLabel: "NLL",
      series: [{ name: "loss", points: sft.map((l) => [l.step, l.loss] as const) }],
      emptyMessage: "no SFT steps yet",
    }),
    lineChart({
      title: "RL accuracy (training rollouts)",
      id: "rl-accuracy",
      xLabel: "RL step",
      yLabel: "accuracy",
      yFormat: "percent",
      yRange: [0, 1],
      series: [
        series("overall", rl, (l) => l.accuracy),
        series("tool unnecessary", rl, (l) => l.byNecessity.unnecessary.accuracy),
        series("tool required", rl, (l) => l.byNecessity.required.accuracy),
      ],
      emptyMessage: "no RL steps yet",
    }),
    lineChart({
      title: "Tool-use rate by necessity",
      id: "rl-tool-use",
      xLabel: "RL step",
      yLabel: "tool-use rate",
      yFormat: "percent",
      yRange: [0, 1],
      series: [
        series("unnecessary", rl, (l) => l.byNecessity.unnecessary.toolUseRate),
        series("required", rl, (l) => l.byNecessity.required.toolUseRate),
        series("overall", rl, (l) => l.toolUseRate),
      ],
      emptyMessage: "no RL steps yet",
    }),
    lineChart({
      title: "rho (share of rollouts with a tool advantage)",
      id: "rl-rho",
      xLabel: "RL step",
      yLabel: "rho",
      yRange: [0, 1],
      series: [series("rho", rl, (l) => l.rho)],
      emptyMessage: "no RL steps yet",
    }),
    lineChart({
      title: "RL losses",
      id: "rl-losses",
      xLabel: "RL step",
      yLabel: "loss",
      series: [
        series("loss", rl, (l) => l.loss),
        series("L_acc", rl, (l) => l.lossAcc),
        series("L_tool", rl, (l) => l.lossTool),
      ],
      emptyMessage: "no RL steps yet",
    }),
  ];
}
