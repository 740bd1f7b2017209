import { appendFile, readFile, writeFile } from "node:fs/promises";
import type { RlStepMetrics } from "../rl-step";
import type { SftStepMetrics } from "../sft-step";

/** One SFT step as logged: the step's metrics plus its wall time. */
export interface SftMetricsLine extends SftStepMetrics {
  phase: "sft";
  step: number;
  learningRate: number;
  /** Loss of the step's copy exercises (`sft.copyRows` > 0), a separate update after the demonstrations'. */
  copyLoss?: number;
  /** Set on the copy warm-up steps (`sft.copyWarmupSteps`), which train on copy exercises alone. */
  copyWarmup?: true;
  timings: { totalMs: number };
}

/** One RL step as logged: `RlStepMetrics` as the trainer returns them, or the error that made the step fail. */
export type RlMetricsLine =
  | RlStepLine
  | { phase: "rl"; step: number; failed: string; timings: { totalMs: number } };

/** An RL step that ran. */
export type RlStepLine = { phase: "rl" } & RlStepMetrics;

export type MetricsLine = SftMetricsLine | RlMetricsLine;

/** Whether a line is an RL step that ran (not a failed one, not SFT). */
export function isRlStepLine(line: MetricsLine): line is RlStepLine {
  return line.phase === "rl" && !("failed" in line);
}

/**
 * `metrics.jsonl`: one plain JSON object per SFT or RL step, appended as the step ends. On resume the lines after
 * the checkpoint are dropped, so a resumed run's file equals an uninterrupted run's.
 */
export class MetricsLog {
  constructor(readonly path: string) {}

  /** Starts an empty log. */
  async reset(): Promise<void> {
    await writeFile(this.path, "");
  }

  /** Keeps the lines of SFT steps < `sftSteps` and RL steps < `rlSteps`; drops the rest. */
  async truncate(sftSteps: number, rlSteps: number): Promise<void> {
    const kept = (await this.read()).filter((line) =>
      line.phase === "sft" ? line.step < sftSteps : line.step < rlSteps,
    );
    await writeFile(this.path, kept.map((line) => `${JSON.stringify(line)}\n`).join(""));
  }

  async append(line: MetricsLine): Promise<void> {
    await appendFile(this.path, `${JSON.stringify(line)}\n`);
  }

  /** Every line written so far (none when the file does not exist). */
  async read(): Promise<MetricsLine[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch {
      return [];
    }
    return text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as MetricsLine);
  }
}
