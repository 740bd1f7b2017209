/** Where progress goes: stderr in the CLI, a buffer in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link TrainingProgress}. */
export interface TrainingProgressOptions {
  /** Write nothing at all (CI). */
  quiet?: boolean;
  /** Seconds between lines when the stream is not a terminal. */
  lineIntervalS: number;
  now?: () => number;
}

const BAR_WIDTH = 24;

/**
 * The live progress of a phase: on a terminal a bar redrawn in place with the ETA and the key metrics; elsewhere
 * (CI logs, pipes) one plain line every few seconds; nothing when quiet. Notes (phase changes, evaluations) are
 * always their own line unless quiet.
 */
export class TrainingProgress {
  private phase = "";
  private total = 0;
  private done = 0;
  private firstDone = 0;
  private phaseStartedAt = 0;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private barShown = false;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: TrainingProgressOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Starts a phase of `total` steps, `done` of them finished by an earlier session. */
  startPhase(phase: string, total: number, done = 0): void {
    this.endBar();
    this.phase = phase;
    this.total = total;
    this.done = done;
    this.firstDone = done;
    this.phaseStartedAt = this.now();
    this.lastLineAt = Number.NEGATIVE_INFINITY;
  }

  /** Records a finished step with the metrics to show (already formatted, e.g. `loss 1.23`). */
  step(done: number, metrics: readonly string[]): void {
    if (this.options.quiet === true) return;
    this.done = done;
    if (this.stream.isTTY === true) {
      this.stream.write(`\r\x1b[2K${this.line(true, metrics)}`);
      this.barShown = true;
      return;
    }
    if (this.now() - this.lastLineAt >= this.options.lineIntervalS * 1000 || done === this.total) {
      this.lastLineAt = this.now();
      this.stream.write(`${this.line(false, metrics)}\n`);
    }
  }

  /** A line of its own (phase changes, evaluation results, checkpoints). */
  note(text: string): void {
    if (this.options.quiet === true) return;
    this.endBar();
    this.stream.write(`${text}\n`);
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    this.endBar();
  }

  /** The progress text without carriage return or newline. */
  line(bar: boolean, metrics: readonly string[]): string {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const stepsThisSession = this.done - this.firstDone;
    const elapsedS = (this.now() - this.phaseStartedAt) / 1000;
    const etaS = stepsThisSession <= 0 ? undefined : (elapsedS / stepsThisSession) * (this.total - this.done);
    const filled = Math.round(fraction * BAR_WIDTH);
    return [
      bar ? `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]` : "progress",
      this.phase,
      `${this.done}/${this.total}`,
      `ETA ${etaS === undefined ? "?" : formatDuration(etaS)}`,
      ...metrics,
    ].join(" ");
  }

  private endBar(): void {
    if (this.barShown) this.stream.write("\n");
    this.barShown = false;
  }
}

/** `1h02m`, `3m05s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}
