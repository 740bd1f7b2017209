import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { CurationError } from "../curation-error";
import type { RowDecision } from "../rows/row-decision";

/** What a journal was written for; a resumed run must match it. */
export interface JournalHeader {
  kind: "hdpo-curate-journal";
  version: 1;
  input: string;
  rows: number;
  filters: string[];
  /** Options that change decisions (k, band, thresholds…), compared as JSON. */
  settings: Record<string, unknown>;
}

/** The finished rows of an earlier run, read back from a journal. */
export interface JournalState {
  /** Per row: 0 not finished, 1 kept, 2 rejected, 3 error. */
  status: Uint8Array;
  /** Per row: byte offset of its (last) decision line in the journal. */
  offsets: Float64Array;
  finished: number;
}

const STATUS = { keep: 1, reject: 2, error: 3 } as const;

/**
 * An append-only journal of decisions, one JSON line each, fsync'd in small batches: a killed run loses at most the
 * decisions of its last batch, and those rows are simply decided again. A line cut by the kill is cut off on open.
 */
export class Journal {
  private fd: number;
  private size: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    size: number,
    readonly state: JournalState,
  ) {
    this.fd = fd;
    this.size = size;
  }

  /**
   * Opens (or creates) the journal at `path` for `header`. An existing journal must have the same header, else a
   * CurationError says so. `retryErrors` forgets rows that ended in an error so they are decided again.
   */
  static open(path: string, header: JournalHeader, options: { retryErrors?: boolean } = {}): Journal {
    const status = new Uint8Array(header.rows);
    const offsets = new Float64Array(header.rows);
    mkdirSync(dirname(path), { recursive: true });
    const exists = existsSync(path);
    const fd = openSync(path, exists ? "r+" : "w+");
    let size = 0;
    let finished = 0;
    try {
      if (exists) {
        let first = true;
        for (const { line, at } of completeLines(fd)) {
          size = at + Buffer.byteLength(line) + 1;
          if (line === "") continue;
          const value = JSON.parse(line) as JournalHeader | RowDecision;
          if (first) {
            first = false;
            checkHeader(path, value as JournalHeader, header);
            continue;
          }
          const decision = value as RowDecision;
          if (decision.index < 0 || decision.index >= header.rows) continue;
          if (status[decision.index] === 0) finished++;
          status[decision.index] = STATUS[decision.decision];
          offsets[decision.index] = at;
        }
        // A line cut by a kill (no newline yet) is dropped; the row is decided again.
        ftruncateSync(fd, size);
        if (options.retryErrors) {
          for (let i = 0; i < status.length; i++) {
            if (status[i] === STATUS.error) {
              status[i] = 0;
              finished--;
            }
          }
        }
      }
      if (size === 0) {
        const line = `${JSON.stringify(header)}\n`;
        writeSync(fd, line, 0);
        fsyncSync(fd);
        size = Buffer.byteLength(line);
      }
    } catch (error) {
      closeSync(fd);
      if (error instanceof CurationError) throw error;
      throw new CurationError(
        `cannot read the journal ${path} (${(error as Error).message}); delete it to start over.`,
      );
    }
    return new Journal(path, fd, size, { status, offsets, finished });
  }

  /** Appends a decision; it is durable after the next flush (at most 200 ms or 64 KiB later). */
  append(decision: RowDecision): void {
    const line = `${JSON.stringify(decision)}\n`;
    const at = this.size + this.pendingBytes;
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
    if (this.state.status[decision.index] === 0) this.state.finished++;
    this.state.status[decision.index] = STATUS[decision.decision];
    this.state.offsets[decision.index] = at;
    if (this.pendingBytes >= 64 * 1024) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 200);
  }

  /** Writes and fsyncs the pending decisions. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const data = this.pending.join("");
    this.pending = [];
    this.pendingBytes = 0;
    const bytes = Buffer.from(data);
    writeSync(this.fd, bytes, 0, bytes.length, this.size);
    fsyncSync(this.fd);
    this.size += bytes.length;
  }

  /** The decision line of a finished row (after a flush). */
  read(index: number): RowDecision | undefined {
    if (this.state.status[index] === 0) return undefined;
    const at = this.state.offsets[index]!;
    let buffer = Buffer.alloc(4096);
    let length = 0;
    for (;;) {
      const got = readSync(this.fd, buffer, length, buffer.length - length, at + length);
      length += got;
      const newline = buffer.subarray(0, length).indexOf(0x0a);
      if (newline >= 0) return JSON.parse(buffer.subarray(0, newline).toString("utf8")) as RowDecision;
      if (got === 0) return undefined;
      if (length === buffer.length) {
        const bigger = Buffer.alloc(buffer.length * 2);
        buffer.copy(bigger);
        buffer = bigger;
      }
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** The newline-terminated lines of a file with their byte offsets, read 1 MiB at a time. */
function* completeLines(fd: number): Generator<{ line: string; at: number }> {
  let carry = Buffer.alloc(0);
  let carryAt = 0;
  let position = 0;
  for (;;) {
    const chunk = Buffer.alloc(1 << 20);
    const got = readSync(fd, chunk, 0, chunk.length, position);
    if (got === 0) return;
    position += got;
    const data = carry.length === 0 ? chunk.subarray(0, got) : Buffer.concat([carry, chunk.subarray(0, got)]);
    let start = 0;
    for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
      yield { line: data.subarray(start, newline).toString("utf8"), at: carryAt + start };
      start = newline + 1;
    }
    carryAt += start;
    carry = Buffer.from(data.subarray(start));
  }
}

function checkHeader(path: string, found: JournalHeader, wanted: JournalHeader): void {
  const same =
    found.kind === wanted.kind &&
    found.rows === wanted.rows &&
    JSON.stringify(found.filters) === JSON.stringify(wanted.filters) &&
    JSON.stringify(found.settings) === JSON.stringify(wanted.settings);
  if (!same) {
    throw new CurationError(
      `the journal ${path} was written for other options (${found.rows} rows, filters ${found.filters?.join(",")}, settings ${JSON.stringify(found.settings)}); resume with the same options, or delete the journal to start over.`,
    );
  }
}
