import { ToolsError } from "../tools-error";
import type { DriverProcess, RawOutput, RunOutcome } from "./driver-process";
import { sanitizeOutput, withTrailingNewline } from "./output-text";

/** What one python call produced. */
export interface PythonRunResult {
  stdout: string;
  stderr: string;
  /** PNG data URIs, already resized by the reference's rules; empty when the call failed. */
  images: string[];
  success: boolean;
  timedOut: boolean;
  /** The process died (timeout, OOM kill, CPU limit, crash, os._exit): the session is gone. */
  terminated: boolean;
}

export interface PythonSession {
  readonly sessionId: string;
  readonly alive: boolean;
  /** Never rejects for user-code problems; a dead session answers terminated:true. */
  run(code: string, options?: { timeoutMs?: number }): Promise<PythonRunResult>;
  /** Kills the process tree and removes the session dir; idempotent. */
  close(): Promise<void>;
}

export const NO_OUTPUT_TEXT = "Script executed successfully (no output).";

/** The reference's timeout text (seconds from the limit). */
export function timeoutText(timeoutMs: number): string {
  return `Error: Execution timed out after ${timeoutMs / 1000} seconds and the kernel was terminated.`;
}

function truncationNote(dropped: number, cap: number): string {
  return `\n[output truncated: ${dropped} more bytes were not kept; the limit is ${cap} bytes per stream]`;
}

/** In-process captured text + raw fd text, capped together, escape sequences and controls removed, with a note when cut. */
function mergeStream(
  captured: string,
  capturedDropped: number,
  raw: string,
  rawDropped: number,
  cap: number,
) {
  let merged = captured + raw;
  let dropped = capturedDropped + rawDropped;
  const bytes = Buffer.from(merged, "utf8");
  if (bytes.length > cap) {
    dropped += bytes.length - cap;
    merged = bytes.subarray(0, cap).toString("utf8");
    // The cut may split a character; its remains decode as one U+FFFD.
    if (merged.endsWith("\uFFFD")) merged = merged.slice(0, -1);
  }
  merged = sanitizeOutput(merged);
  return dropped > 0 ? merged + truncationNote(dropped, cap) : merged;
}

/** Turns a driver outcome into the result the tool reports. */
export function resultFromOutcome(outcome: RunOutcome, timeoutMs: number, cap: number): PythonRunResult {
  const raw: RawOutput = outcome.raw;
  if (outcome.kind === "timeout") {
    return {
      stdout: "",
      stderr: timeoutText(timeoutMs),
      images: [],
      success: false,
      timedOut: true,
      terminated: true,
    };
  }
  if (outcome.kind === "exit") {
    const stdout = mergeStream("", 0, raw.stdout, raw.stdoutDropped, cap);
    const before = mergeStream("", 0, raw.stderr, raw.stderrDropped, cap);
    const notice = outcome.forged
      ? `Error: the Python session was terminated because ${outcome.how}; user code must not write to the driver's file descriptors.`
      : `Error: the Python process ${outcome.how} (a resource limit, a crash or an explicit exit) and the session was terminated.`;
    return {
      stdout,
      stderr: before ? `${withTrailingNewline(before)}${notice}` : notice,
      images: [],
      success: false,
      timedOut: false,
      terminated: true,
    };
  }
  const { reply } = outcome;
  let stdout = mergeStream(reply.stdout, reply.stdoutDropped, raw.stdout, raw.stdoutDropped, cap);
  let stderr = mergeStream(reply.stderr, reply.stderrDropped, raw.stderr, raw.stderrDropped, cap);
  if (outcome.imageNote !== undefined)
    stderr = stderr ? `${withTrailingNewline(stderr)}${outcome.imageNote}` : outcome.imageNote;
  const images = reply.success ? reply.images : [];
  if (reply.success && stdout === "" && images.length === 0) stdout = NO_OUTPUT_TEXT;
  return { stdout, stderr, images, success: reply.success, timedOut: false, terminated: false };
}

/** A bound driver process: one trajectory's persistent namespace. */
export class SandboxedPythonSession implements PythonSession {
  readonly sessionId: string;
  private readonly process: DriverProcess;
  private readonly defaultTimeoutMs: number;
  private readonly outputBytes: number;
  private readonly cleanup: () => Promise<void>;
  private closing: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: {
    sessionId: string;
    process: DriverProcess;
    timeoutMs: number;
    outputBytes: number;
    cleanup: () => Promise<void>;
  }) {
    this.sessionId = options.sessionId;
    this.process = options.process;
    this.defaultTimeoutMs = options.timeoutMs;
    this.outputBytes = options.outputBytes;
    this.cleanup = options.cleanup;
    // A session whose process died on its own (CPU limit between calls, etc.) frees its uid and dirs promptly.
    this.process.onExit(() => {
      void this.close();
    });
  }

  get alive(): boolean {
    return this.closing === undefined && this.process.alive;
  }

  run(code: string, options: { timeoutMs?: number } = {}): Promise<PythonRunResult> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(
        new ToolsError(
          `python session: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`,
        ),
      );
    }
    if (typeof code !== "string") {
      return Promise.reject(new ToolsError(`python session: code must be a string, got ${typeof code}.`));
    }
    // Calls on one session are serialized: one namespace, one request in flight.
    const next = this.queue.then(() => this.runNow(code, timeoutMs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(code: string, timeoutMs: number): Promise<PythonRunResult> {
    if (!this.alive) {
      return {
        stdout: "",
        stderr: "Error: this python session was terminated earlier; start a new session.",
        images: [],
        success: false,
        timedOut: false,
        terminated: true,
      };
    }
    const outcome = await this.process.run(code, timeoutMs, this.outputBytes);
    const result = resultFromOutcome(outcome, timeoutMs, this.outputBytes);
    if (result.terminated) await this.close();
    return result;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        await this.process.kill();
        await this.cleanup();
      })();
    }
    return this.closing;
  }
}
