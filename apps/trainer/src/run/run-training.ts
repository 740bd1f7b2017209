import {
  formatRate,
  MetricsLog,
  type RunConfig,
  runFiles,
  type TrainEvent,
  type TrainOptions,
  type TrainResult,
  train,
} from "@hdpo/trainer";
import { writeTrainingReport } from "../report/training-report";
import { type ProgressStream, TrainingProgress } from "./training-progress";

/** Options of {@link runTraining}: `train()`'s, plus where progress goes. */
export interface RunTrainingOptions extends TrainOptions {
  /** Progress and notes (stderr in the CLI); none when omitted. */
  progress?: ProgressStream;
  quiet?: boolean;
}

/**
 * `train()` as the CLI runs it: its events drive the progress display, and report.html (with a PNG per curve) is
 * rewritten at every checkpoint and at the end.
 */
export async function runTraining(options: RunTrainingOptions): Promise<TrainResult> {
  const { progress: stream, quiet, ...trainOptions } = options;
  const progress = new TrainingProgress(stream ?? { write: () => undefined }, {
    quiet: quiet === true || stream === undefined,
    lineIntervalS: options.config.run.progressIntervalS,
  });
  const report = reportWriter(options.out, options.config);
  try {
    return await train({
      ...trainOptions,
      onEvent: async (event) => {
        showProgress(progress, event);
        await report(event);
        await trainOptions.onEvent?.(event);
      },
    });
  } finally {
    progress.finish();
  }
}

function showProgress(progress: TrainingProgress, event: TrainEvent): void {
  switch (event.type) {
    case "note":
      progress.note(event.message);
      return;
    case "phase-start":
      progress.startPhase(event.phase, event.total, event.completed);
      return;
    case "sft-step":
      progress.step(event.completed, [`loss ${event.line.loss.toFixed(3)}`]);
      return;
    case "rl-step": {
      const { line } = event;
      if ("failed" in line) return;
      progress.step(event.completed, [
        `acc ${formatRate(line.accuracy)}`,
        `tool unnec ${formatRate(line.byNecessity.unnecessary.toolUseRate)}`,
        `nec ${formatRate(line.byNecessity.required.toolUseRate)}`,
        `rho ${line.rho.toFixed(2)}`,
        `loss ${line.loss.toFixed(4)}`,
      ]);
      return;
    }
    default:
      return;
  }
}

/** Writes report.html at every checkpoint (the curves so far) and at the end (with both evaluations). */
function reportWriter(out: string, config: RunConfig): (event: TrainEvent) => Promise<void> {
  const metrics = new MetricsLog(runFiles(out).metrics);
  const title = `hdpo-train: ${out}`;
  return async (event) => {
    if (event.type === "checkpoint") {
      const { sftEval } = event.position;
      await writeTrainingReport(out, await metrics.read(), {
        title,
        status: event.status,
        ...(sftEval !== undefined ? { sft: sftEval } : {}),
        config,
      });
    } else if (event.type === "finished") {
      const { summary } = event;
      const warmup = summary.steps.copyWarmup > 0 ? ` after ${summary.steps.copyWarmup} of copy warm-up` : "";
      await writeTrainingReport(out, await metrics.read(), {
        title,
        status: `finished: SFT ${summary.steps.sft} steps${warmup}, HDPO ${summary.steps.rl} steps, backend ${summary.backend}, learner ${summary.learner.kind}`,
        sft: summary.sft,
        hdpo: summary.hdpo,
        config,
      });
    }
  };
}
