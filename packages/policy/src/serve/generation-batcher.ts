import type { DecoderModel } from "../model/decoder-model";
import type { GeneratedSequence, GenerateOptions } from "../model/generate";
import { deriveSeed } from "../model/prng";
import { PolicyError } from "../policy-error";
import type { TextCodec } from "../text-codec";

/** The generation function the batcher calls; injectable so tests (and metrics) can observe the batches. */
export type GenerateFunction = (
  model: DecoderModel,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
) => GeneratedSequence[];

/** The settings that must agree for rows to share one `generate` call. */
export interface SamplingSettings {
  temperature: number;
  topP: number;
  maxTokens: number;
  /** Stop strings (may be empty). */
  stop: readonly string[];
}

/** One request's rows: every prompt is generated once per entry (repeat a prompt for `n` > 1). */
export interface GenerationJob {
  prompts: readonly (readonly number[])[];
  settings: SamplingSettings;
  /** A seeded job runs in a `generate` call of its own with this seed, so its output never depends on its neighbours. */
  seed?: number;
}

/** Options of {@link GenerationBatcher}. */
export interface GenerationBatcherOptions {
  model: DecoderModel;
  codec: TextCodec;
  generate: GenerateFunction;
  /** Most rows in one `generate` call. */
  maxBatchSize: number;
  /** How long the first waiting job waits for others to join its batch. */
  batchWindowMs: number;
  /** Base of the seeds of unseeded batches (call k uses `deriveSeed(baseSeed, k)`). */
  baseSeed: number;
}

interface PendingJob {
  job: GenerationJob;
  key: string;
  resolve: (sequences: GeneratedSequence[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the jobs that arrive within `batchWindowMs` and runs them in as few `generate` calls as possible.
 * Unseeded jobs share a call when all of `SamplingSettings` agree (grouping by max_tokens and stop too keeps
 * every row exact: no row runs past its budget or its own stop strings), up to `maxBatchSize` rows, first come
 * first served. A seeded job runs alone with its own seed, so row i of it draws from `deriveSeed(seed, i)`
 * whatever else is waiting. `generate` is synchronous: one batch runs per event-loop turn.
 */
export class GenerationBatcher {
  private readonly queue: PendingJob[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private calls = 0;
  private closed = false;

  constructor(private readonly options: GenerationBatcherOptions) {
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) {
      throw new PolicyError(
        `GenerationBatcher: maxBatchSize must be an integer ≥ 1, got ${options.maxBatchSize}`,
      );
    }
    if (!Number.isFinite(options.batchWindowMs) || options.batchWindowMs < 0) {
      throw new PolicyError(
        `GenerationBatcher: batchWindowMs must be a finite number ≥ 0, got ${options.batchWindowMs}`,
      );
    }
  }

  /** Queues `job`; resolves with one sequence per prompt, in order. */
  submit(job: GenerationJob): Promise<GeneratedSequence[]> {
    if (this.closed)
      return Promise.reject(new PolicyError("GenerationBatcher: closed; no new jobs are accepted"));
    if (job.prompts.length === 0 || job.prompts.length > this.options.maxBatchSize) {
      return Promise.reject(
        new PolicyError(
          `GenerationBatcher: a job needs 1 to maxBatchSize (${this.options.maxBatchSize}) prompts, got ${job.prompts.length}`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job, key: groupKey(job), resolve, reject });
      if (this.queuedRows() >= this.options.maxBatchSize) this.runSoon();
      else if (this.timer === undefined && this.immediate === undefined) {
        this.timer = setTimeout(() => this.runSoon(), this.options.batchWindowMs);
      }
    });
  }

  /** Rejects every waiting job and refuses new ones. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    for (const pending of this.queue.splice(0)) {
      pending.reject(new PolicyError("GenerationBatcher: closed before this job ran"));
    }
  }

  private queuedRows(): number {
    return this.queue.reduce((rows, p) => rows + p.job.prompts.length, 0);
  }

  private runSoon(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.runOneBatch();
      if (this.queue.length > 0 && !this.closed) this.runSoon();
    });
  }

  private runOneBatch(): void {
    const first = this.queue[0];
    if (first === undefined) return;
    const batch: PendingJob[] = [];
    let rows = 0;
    if (first.job.seed !== undefined) {
      batch.push(first);
    } else {
      for (const pending of this.queue) {
        if (pending.job.seed !== undefined || pending.key !== first.key) continue;
        if (rows + pending.job.prompts.length > this.options.maxBatchSize) break;
        batch.push(pending);
        rows += pending.job.prompts.length;
      }
    }
    for (const pending of batch) this.queue.splice(this.queue.indexOf(pending), 1);
    const { settings } = first.job;
    const seed = first.job.seed ?? deriveSeed(this.options.baseSeed, this.calls);
    this.calls++;
    let sequences: GeneratedSequence[];
    try {
      sequences = this.options.generate(
        this.options.model,
        batch.flatMap((p) => p.job.prompts),
        {
          temperature: settings.temperature,
          topP: settings.topP,
          maxTokens: settings.maxTokens,
          seed,
          stop: settings.stop,
          codec: this.options.codec,
        },
      );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    let offset = 0;
    for (const pending of batch) {
      const count = pending.job.prompts.length;
      pending.resolve(sequences.slice(offset, offset + count));
      offset += count;
    }
  }
}

function groupKey(job: GenerationJob): string {
  const { temperature, topP, maxTokens, stop } = job.settings;
  return JSON.stringify([temperature, topP, maxTokens, [...stop].sort()]);
}
