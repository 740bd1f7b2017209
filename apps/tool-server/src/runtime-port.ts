/**
 * The part of `@hdpo/tools`' `ToolRuntime` the server uses. The server is written against this narrow shape (the
 * real runtime satisfies it structurally) so that the HTTP and MCP layers say exactly what they rely on.
 */
export interface ToolReplyLike {
  observation:
    | string
    | { obs: string; image?: string[]; metrics?: Record<string, unknown>; [key: string]: unknown };
  done: boolean;
  valid: boolean;
}

/** One action for one trajectory, as `/get_observation` carries it. */
export interface ToolRequestLike {
  trajectoryId: string;
  action: string;
  extra?: Record<string, unknown>;
}

/** The sandbox facts the health report shows. */
export interface SandboxReportLike {
  mode: string;
  layers: { name: string; active: boolean; stops: string; needs: string; reason?: string }[];
  warnings: string[];
  /** Per-session uids (root only). */
  uidDrop: boolean;
  /** The seccomp syscall filter is applied (bubblewrap only). */
  seccomp: boolean;
  /** The session's writable tmpfs mounts have an inode cap. */
  inodeCap: boolean;
  /** User code cannot lower its OOM score. */
  oomLocked: boolean;
}

export interface ToolRuntimePort {
  handle(request: ToolRequestLike): Promise<ToolReplyLike>;
  close(trajectoryId: string): Promise<void>;
  stats(): object;
  readonly sandbox: SandboxReportLike | undefined;
  shutdown(): Promise<void>;
}
