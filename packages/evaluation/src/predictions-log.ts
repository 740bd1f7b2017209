import { type FileHandle, open, readFile, truncate } from "node:fs/promises";
import { EvaluationError } from "./evaluation-error";
import { type Prediction, PredictionSchema } from "./prediction";

/** What a predictions file held when it was opened. */
export interface PredictionsOnDisk {
  predictions: Prediction[];
  /** Bytes of an incomplete last line (a run killed mid-write) that were cut off. */
  droppedBytes: number;
}

/**
 * Reads `predictions.jsonl`: every complete line is a finished item. A last line without its newline is the trace
 * of a run killed mid-write and is cut from the file (that item runs again); a broken complete line is corruption
 * and stops the run rather than being guessed at.
 * @throws EvaluationError naming the line when a complete line is not a prediction.
 */
export async function readPredictions(
  path: string,
  options: { repair: boolean } = { repair: true },
): Promise<PredictionsOnDisk> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { predictions: [], droppedBytes: 0 };
    throw error;
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  const droppedBytes = bytes.length - end;
  if (droppedBytes > 0 && options.repair) await truncate(path, end);
  const predictions: Prediction[] = [];
  const seen = new Set<string>();
  const lines = bytes.subarray(0, end).toString("utf8").split("\n");
  lines.pop();
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new EvaluationError(
        `${path}: line ${index + 1} is not JSON (${(error as Error).message}); the file is corrupt. Remove that line to re-run the item.`,
      );
    }
    const result = PredictionSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new EvaluationError(
        `${path}: line ${index + 1} is not a prediction (${issue.path.join(".")}: ${issue.message}); it was written by another tool or version.`,
      );
    }
    // A duplicate can only come from hand-editing; the first record stands, as it did for the summary then.
    if (seen.has(result.data.id)) return;
    seen.add(result.data.id);
    predictions.push(result.data);
  });
  return { predictions, droppedBytes };
}

/**
 * Appends finished items to `predictions.jsonl`, one complete line per item. Lines that arrive while a write is in
 * progress are committed together (one write, one fsync: group commit); `append` resolves only once its line is
 * on disk. A crash can leave at most one incomplete last line, which `readPredictions` drops.
 */
export class PredictionsLog {
  private pending: { line: Buffer; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<PredictionsLog> {
    return new PredictionsLog(await open(path, "a"));
  }

  /** Resolves once the line is on disk; lines land in call order. */
  append(prediction: Prediction): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(prediction)}\n`, "utf8");
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const bytes = Buffer.concat(batch.map((entry) => entry.line));
        let offset = 0;
        while (offset < bytes.length) {
          const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
          offset += bytesWritten;
        }
        await this.handle.sync();
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.flushing = undefined;
  }
}
