import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import {
  checkReplyImages,
  DriverReplyError,
  type DriverRunReply,
  parseRunReply,
  replyByteLimit,
} from "./driver-reply";
import { sanitizeOutput } from "./output-text";
import { descendantsOf, processesOfUid, processState } from "./process-tree";
import { PythonStartError } from "./python-error";
import { RawStreamCollector } from "./raw-stream";
import { SANDBOX_SECCOMP_FD, type SandboxCommand } from "./sandbox-command";

export type { DriverRunReply } from "./driver-reply";
export { processesOfUid } from "./process-tree";

export interface RawOutput {
  stdout: string;
  stderr: string;
  stdoutDropped: number;
  stderrDropped: number;
}

export type RunOutcome =
  /** `imageNote`: the reply's images were dropped as invalid, and why (one line). */
  | { kind: "reply"; reply: DriverRunReply; raw: RawOutput; imageNote?: string }
  | { kind: "timeout"; raw: RawOutput }
  /** `forged`: the process was killed because its reply channel carried something the driver never writes. */
  | { kind: "exit"; raw: RawOutput; how: string; forged?: boolean };

/** The longest line accepted outside a run (the ready line, bind replies); runs get `replyByteLimit`. */
const CONTROL_REPLY_BYTES = 1024 * 1024;
/** How long raw fd 1/2 output may trail the reply before the call returns without it. */
const MARKER_GRACE_MS = 1000;
const START_TIMEOUT_MS = 90_000;

/** `id`: the request's random id, which its reply must echo (undefined for the ready line). */
type Waiter = {
  id: string | undefined;
  resolve: (line: Record<string, unknown>) => void;
  reject: (error: Error) => void;
};

/** How the sandbox's processes that are not the driver are found (see `sweepStrays`). */
export interface SweepScope {
  /** Also end every other process of this uid: needed without a pid namespace, where orphans leave the tree. */
  uid?: number;
}

/**
 * One sandboxed driver process and its pipes: JSON lines on fds 3/4, raw output on fds 1/2. Kills are whole-tree
 * (process group, bwrap pid namespace, and a kill(-1) as the process's own uid when it has one).
 */
export class DriverProcess {
  readonly child: ChildProcess;
  readonly uid: number | undefined;
  private readonly requests: Writable;
  private readonly waiters: Waiter[] = [];
  private replyBuffer: Buffer[] = [];
  private replyBytes = 0;
  private replyLimit = CONTROL_REPLY_BYTES;
  /** Why the reply channel is known to be tampered with; set once, and the process is killed. */
  private forgery: string | undefined;
  /** Host pids of the driver and its sandbox ancestors (outer bwrap, bwrap's init), fixed at the ready line. */
  private keep: number[] = [];
  private sweepScope: SweepScope = {};
  private collectors: { stdout?: RawStreamCollector; stderr?: RawStreamCollector } = {};
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;
  private readonly exitListeners = new Set<(how: string) => void>();
  // Frees what the process leaves behind once it has exited. It runs ONCE, however many callers wait for it:
  // a second sweep of the uid after the launcher has released it would kill the uid's next owner.
  private reaper: () => Promise<void>;
  private reaping: Promise<void> | undefined;

  private constructor(
    command: SandboxCommand,
    uid: number | undefined,
    tools: { kill?: string; setpriv?: string },
  ) {
    this.uid = uid;
    this.reaper = () => (uid === undefined ? Promise.resolve() : killUid(uid, tools.setpriv, tools.kill));
    this.child = spawn(command.command, command.args, {
      env: command.env,
      cwd: command.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe", ...(command.seccomp ? (["pipe"] as const) : [])],
    });
    if (command.seccomp) {
      // bwrap reads the filter from this fd until EOF before it starts anything.
      const program = (this.child.stdio as unknown as Writable[])[SANDBOX_SECCOMP_FD] as Writable;
      program.on("error", () => {});
      program.end(command.seccomp);
    }
    this.requests = this.child.stdio[3] as Writable;
    const replies = this.child.stdio[4] as Readable;
    this.requests.on("error", () => {
      // EPIPE when the driver died; the exit handler answers the waiters.
    });
    replies.on("data", (chunk: Buffer) => this.onReplyData(chunk));
    replies.on("error", () => {});
    (this.child.stdout as Readable).on("data", (chunk: Buffer) => this.collectors.stdout?.push(chunk));
    (this.child.stderr as Readable).on("data", (chunk: Buffer) => this.collectors.stderr?.push(chunk));
    this.exited = new Promise((resolve) => {
      const finish = (how: string) => {
        if (this.exitInfo !== undefined) return;
        this.exitInfo = how;
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`python process ${how}`));
        for (const listener of this.exitListeners) listener(how);
        resolve();
      };
      this.child.on("exit", (code, signal) =>
        finish(signal ? `was killed by ${signal}` : `exited with code ${code}`),
      );
      this.child.on("error", (error) => finish(`could not start (${error.message})`));
    });
  }

  /** Spawns the sandboxed driver and waits for its "ready" line (imports done, limits set). */
  static async start(
    command: SandboxCommand,
    uid: number | undefined,
    tools: { kill?: string; setpriv?: string },
  ): Promise<DriverProcess> {
    const process = new DriverProcess(command, uid, tools);
    let stderr = "";
    const collect = (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString("utf8");
    };
    process.child.stderr?.on("data", collect);
    let timer: NodeJS.Timeout | undefined;
    try {
      const ready = await Promise.race([
        process.nextLine(undefined),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no ready line within ${START_TIMEOUT_MS} ms`)),
            START_TIMEOUT_MS,
          );
        }),
      ]);
      if (ready.op !== "ready") throw new Error("unexpected first line on the reply channel");
      // No user code has run yet: what runs now is the driver and the sandbox around it, nothing else.
      const root = process.child.pid;
      if (root !== undefined) process.keep = [root, ...descendantsOf([root])];
      return process;
    } catch (error) {
      await process.kill();
      throw new PythonStartError(
        `The sandboxed python driver did not start: ${(error as Error).message}. Its stderr: ${stderr.trim().slice(0, 2000) || "(empty)"}. Command: ${command.command} ${command.args.slice(0, 6).join(" ")} ...`,
      );
    } finally {
      if (timer) clearTimeout(timer);
      process.child.stderr?.off("data", collect);
    }
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Replaces what runs after exit (default: end every leftover process of the uid). Set it before `reaped()`. */
  setReaper(reaper: () => Promise<void>): void {
    this.reaper = reaper;
  }

  /** Resolves once the process has exited and its reaper has run; the reaper runs only once. */
  reaped(): Promise<void> {
    this.reaping ??= this.exited.then(() => this.reaper());
    return this.reaping;
  }

  /** Host pids of the sandbox's own processes (outermost first; the driver is last). */
  get sandboxPids(): readonly number[] {
    return this.keep;
  }

  /** Where strays are looked for besides the sandbox's process tree (see `sweepStrays`). */
  setSweepScope(scope: SweepScope): void {
    this.sweepScope = scope;
  }

  onExit(listener: (how: string) => void): void {
    if (this.exitInfo !== undefined) listener(this.exitInfo);
    else this.exitListeners.add(listener);
  }

  private onReplyData(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline >= 0; newline = chunk.indexOf(10, start)) {
      this.replyBuffer.push(chunk.subarray(start, newline));
      const line = Buffer.concat(this.replyBuffer).toString("utf8");
      this.replyBuffer = [];
      this.replyBytes = 0;
      start = newline + 1;
      this.deliver(line);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.replyBytes += rest.length;
      this.replyBuffer.push(rest);
      // Only the process's own user code can produce this; end it rather than buffer without bound.
      if (this.replyBytes > this.replyLimit)
        this.forged(`the reply channel carried a reply line over ${this.replyLimit} bytes`);
    }
  }

  /**
   * The channel carried something the driver never writes. Nothing on it is believed any more: the waiting
   * request fails and the process is killed (user code can read any id from memory, so a forged line may also
   * carry the right id and pass; then the driver's real reply arrives unasked and ends up here).
   */
  private forged(why: string): void {
    if (this.forgery !== undefined || this.exitInfo !== undefined) return;
    this.forgery = why;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new DriverReplyError(why));
    void this.kill();
  }

  private deliver(line: string): void {
    if (this.forgery !== undefined) return;
    const waiter = this.waiters[0];
    if (!waiter) {
      this.forged(`the reply channel carried a line while no request was waiting`);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.forged(`the reply channel carried a line that is not JSON`);
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.forged(`the reply channel carried a line that is not a JSON object`);
      return;
    }
    if (waiter.id !== undefined && (value as Record<string, unknown>).id !== waiter.id) {
      this.forged(`the reply channel carried a reply to a request that was not asked`);
      return;
    }
    this.waiters.shift();
    waiter.resolve(value as Record<string, unknown>);
  }

  private nextLine(id: string | undefined): Promise<Record<string, unknown>> {
    if (this.exitInfo !== undefined) return Promise.reject(new Error(`python process ${this.exitInfo}`));
    if (this.forgery !== undefined) return Promise.reject(new DriverReplyError(this.forgery));
    return new Promise((resolve, reject) => this.waiters.push({ id, resolve, reject }));
  }

  /**
   * Sends one request and waits for its reply (no timeout: callers race it). The request carries a fresh random
   * id that the reply must echo; `replyLimit` caps the reply line's length.
   */
  request(
    message: Record<string, unknown>,
    replyLimit = CONTROL_REPLY_BYTES,
  ): Promise<Record<string, unknown>> {
    const id = randomBytes(12).toString("hex");
    const reply = this.nextLine(id);
    this.replyLimit = replyLimit;
    this.requests.write(`${JSON.stringify({ ...message, id })}\n`);
    return reply;
  }

  /**
   * Runs code with a wall-clock limit. On timeout the process tree is killed before this resolves.
   * Raw fd 1/2 output is collected until the driver's end marker (or a short grace after the reply).
   */
  async run(code: string, timeoutMs: number, outputCap: number): Promise<RunOutcome> {
    const marker = `\u0000hdpo-end-${randomBytes(12).toString("hex")}\u0000`;
    let markersLeft = 2;
    let markersDone: () => void = () => {};
    const allMarkers = new Promise<void>((resolve) => {
      markersDone = resolve;
    });
    const onMarker = () => {
      markersLeft -= 1;
      if (markersLeft === 0) markersDone();
    };
    const stdout = new RawStreamCollector(marker, outputCap, onMarker);
    const stderr = new RawStreamCollector(marker, outputCap, onMarker);
    this.collectors = { stdout, stderr };
    const raw = (): RawOutput => ({
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutDropped: stdout.dropped,
      stderrDropped: stderr.dropped,
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const reply = await Promise.race([
        this.request({ op: "run", code, marker }, replyByteLimit(outputCap)),
        timedOut,
      ]);
      if (reply === "timeout") {
        await this.kill();
        return { kind: "timeout", raw: raw() };
      }
      if (reply.ok !== true) {
        await this.kill();
        // The text may come from user code (a forged line with the right id): sanitized and short.
        const error =
          typeof reply.error === "string" ? sanitizeOutput(reply.error.slice(0, 200)) : "no message";
        return { kind: "exit", raw: raw(), how: `answered with a driver error (${error})` };
      }
      const runReply = parseRunReply(reply, outputCap);
      const checked = await checkReplyImages(runReply.images);
      runReply.images = checked.images;
      if (runReply.markers) {
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([
          allMarkers,
          new Promise<void>((resolve) => {
            grace = setTimeout(resolve, MARKER_GRACE_MS);
          }),
        ]);
        if (grace) clearTimeout(grace);
      }
      await this.sweepStrays();
      if (this.forgery !== undefined) throw new DriverReplyError(this.forgery);
      return {
        kind: "reply",
        reply: runReply,
        raw: raw(),
        ...(checked.note !== undefined ? { imageNote: checked.note } : {}),
      };
    } catch (error) {
      // The process died mid-call (crash, OOM kill, SIGXCPU, os._exit), or its reply was forged: let the pipes
      // drain first.
      if (error instanceof DriverReplyError) this.forged(error.message);
      await this.kill();
      if (this.forgery !== undefined) {
        return { kind: "exit", raw: raw(), how: this.forgery, forged: true };
      }
      return { kind: "exit", raw: raw(), how: this.exitInfo ?? (error as Error).message };
    } finally {
      if (timer) clearTimeout(timer);
      this.collectors = {};
    }
  }

  /**
   * Ends every process of the sandbox except the driver and its sandbox ancestors, so nothing a call started
   * (forked busy loops, background servers) keeps running between calls. In a pid namespace every such process
   * is a descendant of the kept ones (orphans are re-parented to bwrap's init), so walking the tree finds them
   * all; without one, the session's own uid is scanned too. Zombies are skipped: they run nothing, and the
   * driver reaps its own at the next call. Threads of the driver itself cannot be ended without ending the
   * session; RLIMIT_CPU bounds them.
   */
  async sweepStrays(): Promise<void> {
    if (this.keep.length === 0 || this.exitInfo !== undefined) return;
    const keep = new Set(this.keep);
    for (let round = 0; round < 50; round++) {
      // The outermost process (bwrap's, outside the namespace) is no one's reaper: its only child is the sandbox's
      // init, so the walk starts below it (one process fewer to read on every call).
      const strays = new Set(descendantsOf(this.keep.length > 1 ? this.keep.slice(1) : this.keep));
      for (const pid of keep) strays.delete(pid);
      if (this.sweepScope.uid !== undefined) {
        for (const pid of await processesOfUid(this.sweepScope.uid)) if (!keep.has(pid)) strays.add(pid);
      }
      let live = 0;
      for (const pid of strays) {
        const state = processState(pid);
        if (state === undefined || state === "Z" || state === "X") continue;
        live += 1;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
      if (live === 0) return;
      // A process caught mid-fork can leave a child the next round finds; SIGKILL itself takes effect at once.
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 * round, 20)));
    }
  }

  /** Kills the whole tree and waits for the process to be reaped. Idempotent. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.exitInfo === undefined) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    await this.reaped();
  }
}

function execQuiet(command: string, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000, env: {} }, () => resolve());
  });
}

/**
 * Ends every process of `uid` (a session's own uid, never the server's): kill(-1) run as that uid signals all
 * of its processes atomically with respect to fork, so a fork bomb cannot outrun it. Repeats until /proc shows none.
 */
export async function killUid(
  uid: number,
  setpriv: string | undefined,
  killTool: string | undefined,
): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pids = await processesOfUid(uid);
    if (pids.length === 0) return;
    if (setpriv && killTool) {
      const id = String(uid);
      await execQuiet(setpriv, ["--reuid", id, "--regid", id, "--clear-groups", "--", killTool, "-9", "-1"]);
    } else {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
  }
}
