import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { PythonStartError } from "./python-error";
import { RawStreamCollector } from "./raw-stream";
import type { SandboxCommand } from "./sandbox-command";

/** A driver reply to a "run" request. */
export interface DriverRunReply {
  success: boolean;
  stdout: string;
  stderr: string;
  stdoutDropped: number;
  stderrDropped: number;
  images: string[];
  markers: boolean;
}

export interface RawOutput {
  stdout: string;
  stderr: string;
  stdoutDropped: number;
  stderrDropped: number;
}

export type RunOutcome =
  | { kind: "reply"; reply: DriverRunReply; raw: RawOutput }
  | { kind: "timeout"; raw: RawOutput }
  | { kind: "exit"; raw: RawOutput; how: string };

/** The largest reply line accepted from a driver (images are big); more kills the process. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;
/** How long raw fd 1/2 output may trail the reply before the call returns without it. */
const MARKER_GRACE_MS = 1000;
const START_TIMEOUT_MS = 90_000;

type Waiter = { resolve: (line: Record<string, unknown>) => void; reject: (error: Error) => void };

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
  private collectors: { stdout?: RawStreamCollector; stderr?: RawStreamCollector } = {};
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;
  private readonly exitListeners = new Set<(how: string) => void>();
  private nextId = 1;
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
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    });
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
        process.nextLine(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no ready line within ${START_TIMEOUT_MS} ms`)),
            START_TIMEOUT_MS,
          );
        }),
      ]);
      if (ready.op !== "ready")
        throw new Error(`unexpected first line ${JSON.stringify(ready).slice(0, 200)}`);
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
      if (this.replyBytes > MAX_REPLY_BYTES) void this.kill();
    }
  }

  private deliver(line: string): void {
    const waiter = this.waiters.shift();
    if (!waiter) return; // unsolicited (user code writing to fd 4): ignored
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== "object" || value === null) throw new Error("not an object");
      waiter.resolve(value as Record<string, unknown>);
    } catch {
      waiter.reject(new Error(`unreadable reply from the python driver: ${line.slice(0, 200)}`));
    }
  }

  private nextLine(): Promise<Record<string, unknown>> {
    if (this.exitInfo !== undefined) return Promise.reject(new Error(`python process ${this.exitInfo}`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Sends one request and waits for its reply (no timeout: callers race it). */
  request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = this.nextLine();
    this.requests.write(`${JSON.stringify({ ...message, id: this.nextId++ })}\n`);
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
      const reply = await Promise.race([this.request({ op: "run", code, marker }), timedOut]);
      if (reply === "timeout") {
        await this.kill();
        return { kind: "timeout", raw: raw() };
      }
      if (reply.ok !== true) {
        await this.kill();
        return { kind: "exit", raw: raw(), how: `answered with a driver error (${String(reply.error)})` };
      }
      const runReply = reply as unknown as DriverRunReply;
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
      return { kind: "reply", reply: runReply, raw: raw() };
    } catch (error) {
      // The process died mid-call (crash, OOM kill, SIGXCPU, os._exit): let the pipes drain first.
      await this.kill();
      return { kind: "exit", raw: raw(), how: this.exitInfo ?? (error as Error).message };
    } finally {
      if (timer) clearTimeout(timer);
      this.collectors = {};
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

/**
 * pids of live processes whose owner is `uid` (from /proc). Zombies are left out: they run nothing, and the
 * pid namespace's init ends up a zombie of the host's pid 1, which may reap it only seconds later.
 */
export async function processesOfUid(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if ((await stat(`/proc/${name}`)).uid !== uid) continue;
      const status = await readFile(`/proc/${name}/stat`, "utf8");
      if (status.slice(status.lastIndexOf(")") + 2, status.lastIndexOf(")") + 3) !== "Z")
        pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
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
