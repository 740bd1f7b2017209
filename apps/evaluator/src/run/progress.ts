import type { Prediction } from "@hdpo/evaluation";

/** Where progress goes: stderr in the CLI, a buffer in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link ProgressReporter}. */
export interface ProgressOptions {
  /** Items to do in this run (after resume). */
  total: number;
  /** Items already finished by an earlier run; counted in the live rates, not in the ETA. */
  resumed?: Prediction[];
  /** Seconds between lines when the stream is not a terminal; default 5. */
  lineIntervalS?: number;
  now?: () => number;
}

const BAR_WIDTH = 24;

/**
 * The live progress line: on a terminal a bar redrawn in place with ETA, accuracy and tool-use rate; elsewhere
 * (CI logs, pipes) one plain line every few seconds, so logs stay readable.
 */
export class ProgressReporter {
  private done = 0;
  private scored = 0;
  private scoreSum = 0;
  private withTools = 0;
  private counted = 0;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    for (const prediction of options.resumed ?? []) this.count(prediction);
  }

  /** Records one finished item and redraws (TTY) or writes a line when the interval has passed. */
  update(prediction: Prediction): void {
    this.done++;
    this.count(prediction);
    const interval = (this.options.lineIntervalS ?? 5) * 1000;
    if (this.stream.isTTY === true) this.stream.write(`\r${this.line(true)}`);
    else if (this.now() - this.lastLineAt >= interval || this.done === this.options.total) {
      this.lastLineAt = this.now();
      this.stream.write(`${this.line(false)}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.stream.isTTY === true && this.done > 0) this.stream.write("\n");
  }

  /** The progress text, without the carriage return or newline. */
  line(bar: boolean): string {
    const total = this.options.total;
    const fraction = total === 0 ? 1 : this.done / total;
    const elapsedS = (this.now() - this.startedAt) / 1000;
    const etaS = this.done === 0 ? undefined : (elapsedS / this.done) * (total - this.done);
    const filled = Math.round(fraction * BAR_WIDTH);
    const pieces = [
      bar ? `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]` : "progress",
      `${this.done}/${total}`,
      `${(fraction * 100).toFixed(0)}%`,
      `ETA ${etaS === undefined ? "?" : formatDuration(etaS)}`,
      `acc ${this.scored === 0 ? "-" : `${((this.scoreSum / this.scored) * 100).toFixed(1)}%`}`,
      `tool-use ${this.counted === 0 ? "-" : `${((this.withTools / this.counted) * 100).toFixed(1)}%`}`,
    ];
    return pieces.join(" ");
  }

  private count(prediction: Prediction): void {
    this.counted++;
    if (prediction.toolCalls > 0) this.withTools++;
    if (prediction.included) {
      this.scored++;
      this.scoreSum += prediction.score;
    }
  }
}

/** `1h02m`, `3m05s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}
