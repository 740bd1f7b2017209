import { availableParallelism } from "node:os";
import type { ToolRegistry } from "../registry/tool-registry";
import { DEFAULT_MAX_REPLAY_BYTES } from "../sessions/replay-budget";
import { requirePositiveInteger, ToolsError } from "../tools-error";
import type { ImageSearch, PythonLauncher, PythonLauncherOptions, TextSearch } from "./parts";

export interface ToolRuntimeOptions {
  /**
   * The Python tool: launcher options (a launcher is created), a ready launcher (the runtime takes ownership and
   * closes it on shutdown), or `false` for a runtime without Python. Default: a launcher with default options.
   */
  python?: PythonLauncherOptions | PythonLauncher | false;
  /** The `search` tool's provider; without it `search` answers that it is not configured. */
  textSearch?: TextSearch;
  /** The `image_search` tool's lookup; without it `image_search` misses, as Metis shipped (no maps). */
  imageSearch?: ImageSearch;
  /** The tools served; default the built-ins (`python`, `search`/`text_search`, `image_search`). */
  registry?: ToolRegistry;
  /** Live Python processes at most; beyond it the least recently used idle session is evicted. Default 128. */
  maxSessions?: number;
  /** A trajectory idle this long is closed (ms); `Infinity` keeps trajectories until closed. Default 30 min. */
  idleTimeoutMs?: number;
  /** Python calls at once (clamped to `maxSessions`). Default: the number of CPUs. */
  workers?: number;
  /** Runs the reference's substring blocklist in front of the sandbox (never instead of it). Default true. */
  blocklist?: boolean;
  /** Requests queued or running at most; more are rejected with `ToolOverloadedError`. Default 4096. */
  maxQueue?: number;
  /**
   * Bytes of Python code kept for replaying evicted sessions, over all trajectories (2 bytes a character). Beyond
   * it the least recently used histories are dropped; such a trajectory's session, if later evicted, restarts clean
   * with `UNRESTORED_SESSION_NOTICE`. Default 256 MiB.
   */
  maxReplayBytes?: number;
}

export const DEFAULT_MAX_SESSIONS = 128;
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const DEFAULT_MAX_QUEUE = 4096;

export interface ResolvedRuntimeOptions {
  maxSessions: number;
  idleTimeoutMs: number;
  workers: number;
  blocklist: boolean;
  maxQueue: number;
  maxReplayBytes: number;
}

/** The options with defaults applied; bad values throw a `ToolsError` naming them. */
export function resolveRuntimeOptions(options: ToolRuntimeOptions): ResolvedRuntimeOptions {
  const resolved: ResolvedRuntimeOptions = {
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    workers: options.workers ?? availableParallelism(),
    blocklist: options.blocklist ?? true,
    maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE,
    maxReplayBytes: options.maxReplayBytes ?? DEFAULT_MAX_REPLAY_BYTES,
  };
  requirePositiveInteger(resolved.maxSessions, "maxSessions");
  requirePositiveInteger(resolved.workers, "workers");
  requirePositiveInteger(resolved.maxQueue, "maxQueue");
  requirePositiveInteger(resolved.maxReplayBytes, "maxReplayBytes");
  if (!(resolved.idleTimeoutMs > 0)) {
    throw new ToolsError(
      `idleTimeoutMs must be a positive number of milliseconds (or Infinity to never expire), got ${String(resolved.idleTimeoutMs)}.`,
    );
  }
  return resolved;
}

/** True for a launcher (it can start sessions), false for launcher options. */
export function isPythonLauncher(value: PythonLauncherOptions | PythonLauncher): value is PythonLauncher {
  return typeof (value as Partial<PythonLauncher>).start === "function";
}
