import { closeSync, createReadStream, existsSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";

/** What a future was created for. */
export type FutureKind =
  | "create_model"
  | "forward"
  | "forward_backward"
  | "optim_step"
  | "save_weights"
  | "save_weights_for_sampler"
  | "load_weights"
  | "sample"
  | "unload_model";

/** A future as the log replays it. */
export interface LoggedFuture {
  id: number;
  kind: FutureKind;
  modelId: string | null;
  seqId?: number;
  hash?: string;
  status: "pending" | "completed" | "failed";
  /** The result's JSON text (completed) or the error message (failed). */
  text?: string;
}

/**
 * The futures of a state directory as an append-only JSON-lines file: one line when a future is created and one when
 * it ends. Lines are written with a synchronous `write` before the HTTP answer goes out, so a killed server loses no
 * future it announced (the kernel keeps what was written; only a machine crash could lose the tail). A torn last line
 * is skipped on replay.
 */
export class FutureLog {
  private fd: number;
  /** Bytes appended since the file was last rewritten. */
  appendedBytes = 0;

  private constructor(
    private readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Replays the log at `path` (if any) and opens it for appending. */
  static async open(
    path: string,
  ): Promise<{ log: FutureLog; futures: LoggedFuture[]; skippedLines: number }> {
    const futures = new Map<number, LoggedFuture>();
    let skippedLines = 0;
    if (existsSync(path)) {
      const lines = createInterface({
        input: createReadStream(path, "utf8"),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) {
        if (line.trim() === "") continue;
        if (!replayLine(line, futures)) skippedLines++;
      }
    }
    const log = new FutureLog(path, openSync(path, "a"));
    return { log, futures: [...futures.values()].sort((a, b) => a.id - b.id), skippedLines };
  }

  created(future: {
    id: number;
    kind: FutureKind;
    modelId: string | null;
    seqId?: number;
    hash?: string;
  }): void {
    this.append(createdLine(future));
  }

  completed(id: number, resultText: string): void {
    this.append(completedLine(id, resultText));
  }

  failed(id: number, message: string): void {
    this.append(failedLine(id, message));
  }

  /** Replaces the whole log with these futures (compaction), atomically. */
  rewrite(futures: Iterable<LoggedFuture>): void {
    const temp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temp, "w");
    try {
      for (const future of futures) {
        writeSync(fd, createdLine(future));
        if (future.status === "completed") writeSync(fd, completedLine(future.id, future.text ?? "null"));
        if (future.status === "failed") writeSync(fd, failedLine(future.id, future.text ?? "failed"));
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    closeSync(this.fd);
    this.fd = openSync(this.path, "a");
    this.appendedBytes = 0;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }

  private append(line: string): void {
    writeSync(this.fd, line);
    this.appendedBytes += line.length;
  }
}

function createdLine(future: {
  id: number;
  kind: FutureKind;
  modelId: string | null;
  seqId?: number;
  hash?: string;
}) {
  const { id, kind, modelId, seqId, hash } = future;
  return `${JSON.stringify({ op: "new", id, kind, model: modelId, seq: seqId, hash })}\n`;
}

function completedLine(id: number, resultText: string): string {
  // The result is already JSON text: splice it in rather than parse and re-serialize a large payload.
  return `{"op":"done","id":${id},"ok":true,"result":${resultText}}\n`;
}

function failedLine(id: number, message: string): string {
  return `${JSON.stringify({ op: "done", id, ok: false, error: message })}\n`;
}

/** Applies one line; false when it is not a line this log writes (a torn tail, a foreign file). */
function replayLine(line: string, futures: Map<number, LoggedFuture>): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  const id = entry.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) return false;
  if (entry.op === "new") {
    if (typeof entry.kind !== "string") return false;
    futures.set(id, {
      id,
      kind: entry.kind as FutureKind,
      modelId: typeof entry.model === "string" ? entry.model : null,
      ...(typeof entry.seq === "number" ? { seqId: entry.seq } : {}),
      ...(typeof entry.hash === "string" ? { hash: entry.hash } : {}),
      status: "pending",
    });
    return true;
  }
  if (entry.op === "done") {
    const future = futures.get(id);
    if (future === undefined) return false;
    if (entry.ok === true) {
      future.status = "completed";
      future.text = JSON.stringify(entry.result ?? null);
    } else {
      future.status = "failed";
      future.text = typeof entry.error === "string" ? entry.error : "the request failed";
    }
    return true;
  }
  return false;
}
