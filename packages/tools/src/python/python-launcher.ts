import { createHash } from "node:crypto";
import { chmod, chown, mkdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ToolsError } from "../tools-error";
import { DriverProcess, killUid } from "./driver-process";
import { findPython, type PythonInterpreter } from "./find-python";
import { PythonStartError } from "./python-error";
import { type PythonLimits, resolvePythonLimits } from "./python-limits";
import { type PythonSession, SandboxedPythonSession } from "./python-session";
import { prepareRuntimeFiles, type RuntimeFiles } from "./runtime-files";
import { buildSandboxCommand, sandboxEnvironment, writableTmpfsPaths } from "./sandbox-command";
import { detectSandbox, SANDBOX_UID_BASE, SANDBOX_UID_COUNT, type SandboxReport } from "./sandbox-detect";
import { capTmpfsInodes, lockOomScore } from "./sandbox-hardening";
import { sharedUidPool, type UidPool } from "./uid-pool";

export interface PythonLauncherOptions {
  interpreter?: PythonInterpreter;
  sandbox?: SandboxReport;
  limits?: Partial<PythonLimits>;
  /** The reference's METIS_SESSION_DIR (default /tmp/metis_sessions). */
  sessionRoot?: string;
  /** Idle processes kept started and initialised, ready to bind (default 0). */
  prewarm?: number;
}

export interface PythonLauncher {
  readonly interpreter: PythonInterpreter;
  readonly sandbox: SandboxReport;
  readonly limits: PythonLimits;
  /** Binds a ready process to `sessionId` (own dir, cwd, image_1..image_n) and refills the prewarm pool. */
  start(sessionId: string, images: string[]): Promise<PythonSession>;
  /** Live sessions and idle prewarmed processes. */
  stats(): { live: number; idle: number; starting: number };
  /** Kills every process it started (prewarmed and live). */
  close(): Promise<void>;
}

export const DEFAULT_SESSION_ROOT = "/tmp/metis_sessions";

/**
 * The directory name for a session id: the id itself when it is a safe path component (the reference uses it
 * verbatim), else a sanitized name with a hash so distinct ids never share a directory.
 */
export function sessionDirName(sessionId: string): string {
  if (/^[A-Za-z0-9._-]{1,128}$/.test(sessionId) && sessionId !== "." && sessionId !== "..") return sessionId;
  const hash = createHash("sha256").update(sessionId).digest("hex").slice(0, 16);
  return `${sessionId.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64)}-${hash}`;
}

interface ProcessSlot {
  process: DriverProcess;
  uid: number | undefined;
}

class SandboxedPythonLauncher implements PythonLauncher {
  readonly interpreter: PythonInterpreter;
  readonly sandbox: SandboxReport;
  readonly limits: PythonLimits;
  private readonly sessionRoot: string;
  private readonly files: RuntimeFiles;
  private readonly prewarm: number;
  private readonly uids: UidPool | undefined;
  private readonly idle: ProcessSlot[] = [];
  private readonly live = new Set<SandboxedPythonSession>();
  private readonly all = new Set<DriverProcess>();
  private starting = 0;
  private closed = false;
  private readonly releasing = new Set<Promise<unknown>>();

  constructor(init: {
    interpreter: PythonInterpreter;
    sandbox: SandboxReport;
    limits: PythonLimits;
    sessionRoot: string;
    files: RuntimeFiles;
    prewarm: number;
  }) {
    this.interpreter = init.interpreter;
    this.sandbox = init.sandbox;
    this.limits = init.limits;
    this.sessionRoot = init.sessionRoot;
    this.files = init.files;
    this.prewarm = init.prewarm;
    this.uids = init.sandbox.uidDrop
      ? sharedUidPool(SANDBOX_UID_BASE, SANDBOX_UID_COUNT, join(dirname(init.files.dir), "uids"))
      : undefined;
  }

  stats() {
    return { live: this.live.size, idle: this.idle.length, starting: this.starting };
  }

  private async spawnSlot(): Promise<ProcessSlot> {
    this.starting += 1;
    const uid = await this.uids?.acquire().catch((error) => {
      this.starting -= 1;
      throw error;
    });
    let spawned: DriverProcess | undefined;
    try {
      if (uid !== undefined) await killUid(uid, this.sandbox.tools.setpriv, this.sandbox.tools.kill);
      const command = buildSandboxCommand({
        sandbox: this.sandbox,
        interpreter: this.interpreter,
        limits: this.limits,
        driver: this.files.driver,
        ...(this.files.mplCache ? { mplCache: this.files.mplCache } : {}),
        sessionRoot: this.sessionRoot,
        ...(uid !== undefined ? { uid } : {}),
      });
      const started = await DriverProcess.start(command, uid, this.sandbox.tools);
      spawned = started;
      this.all.add(started);
      // The uid is reused only once none of its processes is left; `kill()` waits for this same reaper.
      if (uid !== undefined) {
        started.setReaper(async () => {
          await killUid(uid, this.sandbox.tools.setpriv, this.sandbox.tools.kill);
          await this.uids?.release(uid);
        });
      }
      started.onExit(() => {
        this.all.delete(started);
        const index = this.idle.findIndex((slot) => slot.process === started);
        if (index >= 0) this.idle.splice(index, 1);
        const release = started.reaped().finally(() => this.releasing.delete(release));
        this.releasing.add(release);
      });
      if (this.closed) {
        await started.kill();
        throw new ToolsError("python launcher: closed while a process was starting.");
      }
      try {
        await this.harden(started, uid);
      } catch (error) {
        await started.kill();
        throw error;
      }
      return { process: started, uid };
    } catch (error) {
      // Once a process exists its exit handler frees the uid; before that, free it here.
      if (uid !== undefined && spawned === undefined) {
        await killUid(uid, this.sandbox.tools.setpriv, this.sandbox.tools.kill);
        await this.uids?.release(uid);
      }
      throw error;
    } finally {
      this.starting -= 1;
    }
  }

  /** Limits set from outside before any user code runs (see sandbox-hardening.ts); each only where reported. */
  private async harden(started: DriverProcess, uid: number | undefined): Promise<void> {
    // Without a pid namespace, orphans leave the process tree: the per-call sweep also scans the session's uid.
    if (this.sandbox.mode !== "bwrap" && uid !== undefined) started.setSweepScope({ uid });
    // In bwrap mode the driver's own write fails (read-only /proc): the value comes from here. As root without
    // bwrap it also raises the floor, where the server holds CAP_SYS_RESOURCE.
    if (this.sandbox.mode === "bwrap" || uid !== undefined) await lockOomScore(started.sandboxPids);
    const driverPid = started.sandboxPids[started.sandboxPids.length - 1];
    if (this.sandbox.inodeCap && this.sandbox.mode === "bwrap" && driverPid !== undefined) {
      await capTmpfsInodes(
        driverPid,
        writableTmpfsPaths(this.sessionRoot),
        this.limits.inodes,
        this.sandbox.tools,
      );
    }
  }

  /** Keeps `prewarm` idle processes, starting at most one at a time so a burst does not swamp the CPU. */
  private refill(): void {
    if (this.closed || this.starting > 0 || this.idle.length >= this.prewarm) return;
    this.spawnSlot().then(
      (slot) => {
        if (this.closed) {
          void slot.process.kill();
          return;
        }
        this.idle.push(slot);
        this.refill();
      },
      () => {
        // A failed prewarm is retried on the next start(), which then reports the error itself.
      },
    );
  }

  async warm(): Promise<void> {
    while (!this.closed && this.idle.length < this.prewarm) {
      this.idle.push(await this.spawnSlot());
    }
  }

  async start(sessionId: string, images: string[]): Promise<PythonSession> {
    if (this.closed) throw new ToolsError("python launcher: start() after close(); create a new launcher.");
    if (typeof sessionId !== "string" || sessionId.length === 0) {
      throw new ToolsError("python launcher: sessionId must be a non-empty string.");
    }
    let slot = this.idle.shift();
    while (slot && !slot.process.alive) slot = this.idle.shift();
    if (!slot) slot = await this.spawnSlot();
    this.refill();
    const dirName = sessionDirName(sessionId);
    const sessionDir = join(this.sessionRoot, dirName);
    const hostDirs: string[] = [];
    const env: Record<string, string> = {};
    if (this.sandbox.mode !== "bwrap") {
      // Without bwrap the dirs are on the host: owned by the session uid, 0700, removed on close.
      const scratch = join(this.sessionRoot, `.${dirName}.tmp`);
      await mkdir(this.sessionRoot, { recursive: true, mode: 0o711 });
      if (slot.uid !== undefined) {
        // The session uids must be able to pass through the root (not list it: their dirs are 0700 each).
        const rootMode = (await stat(this.sessionRoot)).mode & 0o7777;
        if ((rootMode & 0o001) === 0) await chmod(this.sessionRoot, rootMode | 0o001);
      }
      for (const dir of [sessionDir, scratch]) {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { mode: 0o700 });
        if (slot.uid !== undefined) await chown(dir, slot.uid, slot.uid);
        hostDirs.push(dir);
      }
      Object.assign(env, sandboxEnvironment(scratch));
    }
    const process = slot.process;
    const session = new SandboxedPythonSession({
      sessionId,
      process,
      timeoutMs: this.limits.timeoutMs,
      outputBytes: this.limits.outputBytes,
      cleanup: async () => {
        this.live.delete(session);
        for (const dir of hostDirs) await rm(dir, { recursive: true, force: true }).catch(() => {});
      },
    });
    this.live.add(session);
    try {
      const reply = await Promise.race([
        process.request({ op: "bind", sessionDir, images, env }),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("no reply within 60 s")), 60_000).unref(),
        ),
      ]);
      if (reply.ok !== true) throw new Error(String(reply.error));
    } catch (error) {
      await session.close();
      throw new PythonStartError(
        `python session ${JSON.stringify(sessionId)} could not be bound: ${(error as Error).message}. Check that the task images are base64 data URIs.`,
      );
    }
    return session;
  }

  async close(): Promise<void> {
    this.closed = true;
    const sessions = [...this.live];
    const processes = [...this.all];
    this.idle.length = 0;
    await Promise.all(sessions.map((session) => session.close()));
    await Promise.all(processes.map((process) => process.kill()));
    while (this.starting > 0 || this.all.size > 0) {
      await Promise.all([...this.all].map((process) => process.kill()));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all([...this.releasing]);
  }
}

/**
 * A launcher for sandboxed persistent Python sessions: finds the interpreter and the sandbox unless given,
 * prepares the driver and the font cache, and starts `prewarm` processes before resolving.
 */
export async function createPythonLauncher(options: PythonLauncherOptions = {}): Promise<PythonLauncher> {
  const limits = resolvePythonLimits(options.limits);
  const prewarm = options.prewarm ?? 0;
  if (!Number.isInteger(prewarm) || prewarm < 0) {
    throw new ToolsError(`python launcher: prewarm must be a whole number ≥ 0, got ${String(prewarm)}.`);
  }
  const [interpreter, sandbox] = await Promise.all([
    options.interpreter ? Promise.resolve(options.interpreter) : findPython(),
    options.sandbox ? Promise.resolve(options.sandbox) : detectSandbox(),
  ]);
  const files = await prepareRuntimeFiles(interpreter);
  const launcher = new SandboxedPythonLauncher({
    interpreter,
    sandbox,
    limits,
    sessionRoot: options.sessionRoot ?? DEFAULT_SESSION_ROOT,
    files,
    prewarm,
  });
  try {
    await launcher.warm();
  } catch (error) {
    await launcher.close();
    throw error;
  }
  return launcher;
}
