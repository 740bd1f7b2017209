import { ToolsError } from "../tools-error";

/** Per-session caps. Every field is enforced by the OS (rlimits, tmpfs size) or by the parent (time, output). */
export interface PythonLimits {
  /** Wall clock per call; on expiry the whole session sandbox is killed (the reference: 20 s). */
  timeoutMs: number;
  /** RLIMIT_CPU of the session's processes: CPU seconds over the whole session, not per call. */
  cpuSeconds: number;
  /** RLIMIT_AS (address space) of each session process. */
  memoryBytes: number;
  /** RLIMIT_NPROC: processes + threads of the session's own uid. */
  processes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** Bytes kept of stdout and of stderr per call (each); the rest is dropped with a note. */
  outputBytes: number;
  /** Size of the session's private tmpfs (session dir + /tmp) and RLIMIT_FSIZE. */
  diskBytes: number;
  /**
   * Files (inodes) each of the session's writable tmpfs mounts may hold (/tmp with the session dir, /dev/shm).
   * Enforced only where the sandbox report's `inodeCap` is true (bubblewrap and a root server).
   */
  inodes: number;
}

export const DEFAULT_PYTHON_LIMITS: PythonLimits = Object.freeze({
  timeoutMs: 20_000,
  cpuSeconds: 300,
  memoryBytes: 2 * 1024 ** 3,
  processes: 32,
  openFiles: 256,
  outputBytes: 256 * 1024,
  diskBytes: 32 * 1024 ** 2,
  inodes: 8192,
});

/** Defaults overlaid with `overrides`; throws a ToolsError naming the bad field. */
export function resolvePythonLimits(overrides: Partial<PythonLimits> = {}): PythonLimits {
  const limits = { ...DEFAULT_PYTHON_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new ToolsError(`python limits: ${key} must be a positive integer, got ${String(value)}.`);
    }
  }
  // The driver itself (Python + PIL) needs a few hundred MB of address space and a handful of fds.
  if (limits.memoryBytes < 256 * 1024 ** 2) {
    throw new ToolsError(`python limits: memoryBytes must be at least 256 MiB, got ${limits.memoryBytes}.`);
  }
  if (limits.openFiles < 16) {
    throw new ToolsError(`python limits: openFiles must be at least 16, got ${limits.openFiles}.`);
  }
  return limits;
}
