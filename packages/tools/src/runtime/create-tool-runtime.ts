import { actionErrorReply } from "../actions/action-error-reply";
import { type OpenAIToolCallLike, parseOpenAIToolCall, parseToolCallText } from "../actions/parse-tool-call";
import type { ParsedAction } from "../actions/parsed-action";
import { isPythonFalsy } from "../actions/python-values";
import { createBuiltinRegistry } from "../registry/builtin-tools";
import type { ToolContext } from "../registry/define-tool";
import { readToolArguments, type ToolRegistry } from "../registry/tool-registry";
import { describeError, type ToolReply, toolExceptionReply } from "../registry/tool-reply";
import { PythonSessionPool } from "../sessions/python-session-pool";
import { ReplayBudget } from "../sessions/replay-budget";
import { TrajectorySessions } from "../sessions/trajectory-sessions";
import type { TrajectoryState } from "../sessions/trajectory-state";
import { ToolsError } from "../tools-error";
import {
  createPythonLauncher,
  type ImageSearch,
  type PythonLauncher,
  type SandboxReport,
  type TextSearch,
} from "./parts";
import {
  isPythonLauncher,
  type ResolvedRuntimeOptions,
  resolveRuntimeOptions,
  type ToolRuntimeOptions,
} from "./runtime-options";
import type { ToolCallStats, ToolRuntimeStats } from "./runtime-stats";
import { ToolOverloadedError } from "./tool-overloaded-error";
import type { ToolCallRequest, ToolRequest, ToolRuntime } from "./tool-runtime";

/** Stats key of replies that identified no tool (no block, bad JSON, unknown name). */
const NO_TOOL = "none";
const FINISH = "finish";

/**
 * Creates the runtime: starts the Python launcher (unless `python: false`), which finds an interpreter with Pillow
 * and numpy and detects the sandbox, so it rejects with the launcher's error when Python cannot be used.
 */
export async function createToolRuntime(options: ToolRuntimeOptions = {}): Promise<ToolRuntime> {
  const resolved = resolveRuntimeOptions(options);
  let launcher: PythonLauncher | undefined;
  if (options.python !== false) {
    const python = options.python ?? {};
    launcher = isPythonLauncher(python) ? python : await createPythonLauncher(python);
  }
  return new LocalToolRuntime(resolved, {
    launcher,
    textSearch: options.textSearch,
    imageSearch: options.imageSearch,
    registry: options.registry ?? createBuiltinRegistry(),
  });
}

interface RuntimeParts {
  launcher: PythonLauncher | undefined;
  textSearch: TextSearch | undefined;
  imageSearch: ImageSearch | undefined;
  registry: ToolRegistry;
}

class LocalToolRuntime implements ToolRuntime {
  private readonly pool: PythonSessionPool | undefined;
  private readonly sessions: TrajectorySessions;
  private readonly replayBudget: ReplayBudget;
  private readonly counts = {
    requests: 0,
    rejected: 0,
    completed: 0,
    invalid: 0,
    errors: 0,
    latencyMsSum: 0,
  };
  private readonly toolStats = new Map<string, ToolCallStats>();
  private pending = 0;
  private running = 0;
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly options: ResolvedRuntimeOptions,
    private readonly parts: RuntimeParts,
  ) {
    this.pool =
      parts.launcher === undefined
        ? undefined
        : new PythonSessionPool(parts.launcher, {
            maxSessions: options.maxSessions,
            workers: options.workers,
          });
    this.replayBudget = new ReplayBudget(options.maxReplayBytes);
    this.sessions = new TrajectorySessions({
      ...(this.pool === undefined ? {} : { pool: this.pool }),
      idleTimeoutMs: options.idleTimeoutMs,
      replayBudget: this.replayBudget,
    });
  }

  get registry(): ToolRegistry {
    return this.parts.registry;
  }

  get sandbox(): SandboxReport | undefined {
    return this.parts.launcher?.sandbox;
  }

  handle(request: ToolRequest): Promise<ToolReply> {
    return this.admit(request.trajectoryId, request.extra, () =>
      parseToolCallText(request.action, this.parts.registry),
    );
  }

  call(request: ToolCallRequest): Promise<ToolReply> {
    const call: OpenAIToolCallLike = { function: { name: request.name, arguments: request.arguments ?? {} } };
    return this.admit(request.trajectoryId, request.extra, () =>
      parseOpenAIToolCall(call, this.parts.registry),
    );
  }

  close(trajectoryId: string): Promise<void> {
    return this.sessions.close(trajectoryId);
  }

  stats(): ToolRuntimeStats {
    const python = this.pool?.counters;
    const tools: Record<string, ToolCallStats> = {};
    for (const [name, stats] of this.toolStats) tools[name] = { ...stats };
    return {
      ...this.counts,
      queued: this.pending - this.running,
      running: this.running,
      trajectories: this.sessions.size,
      expired: this.sessions.expired,
      liveSessions: this.pool?.live ?? 0,
      pythonRunning: this.pool?.running ?? 0,
      pythonWaiting: this.pool?.waiting ?? 0,
      pythonStarts: python?.starts ?? 0,
      evictions: python?.evictions ?? 0,
      replays: python?.replays ?? 0,
      replayedCalls: python?.replayedCalls ?? 0,
      timeouts: python?.timeouts ?? 0,
      terminations: python?.terminations ?? 0,
      replayBytes: this.replayBudget.bytes,
      replayHistoriesDropped: this.replayBudget.dropped,
      tools,
    };
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const results = await Promise.allSettled([
        this.sessions.shutdown(),
        this.parts.launcher?.close(),
        this.parts.textSearch?.close?.(),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    })();
    return this.shutdownPromise;
  }

  /** Bounds the queue, then runs the request in its trajectory's order. */
  private admit(
    trajectoryId: string,
    extra: Record<string, unknown> | undefined,
    parse: () => ParsedAction,
  ): Promise<ToolReply> {
    if (this.shutdownPromise !== undefined) {
      return Promise.reject(
        new ToolsError("The tool runtime is shut down; create a new one with createToolRuntime()."),
      );
    }
    if (this.pending >= this.options.maxQueue) {
      this.counts.rejected += 1;
      return Promise.reject(new ToolOverloadedError(this.options.maxQueue));
    }
    this.pending += 1;
    this.counts.requests += 1;
    const fields = extra ?? {};
    const work = isPythonFalsy(fields.finish)
      ? this.sessions.run(trajectoryId, (state) => this.timed(() => this.dispatch(state, fields, parse)))
      : this.sessions.closing(trajectoryId, (close) =>
          this.timed(async () => {
            // Answered like the reference's FinishTool even if killing the process failed: the trajectory is over.
            await close().catch(() => {});
            return finishReply();
          }),
        );
    return work.finally(() => {
      this.pending -= 1;
    });
  }

  private async timed(answer: () => Promise<ToolReply>): Promise<ToolReply> {
    this.running += 1;
    const began = performance.now();
    try {
      const reply = await answer();
      this.record(reply, performance.now() - began);
      return reply;
    } finally {
      this.running -= 1;
    }
  }

  private async dispatch(
    state: TrajectoryState,
    extra: Record<string, unknown>,
    parse: () => ParsedAction,
  ): Promise<ToolReply> {
    let toolName: string | undefined;
    try {
      const parsed = parse();
      if (parsed.kind !== "ok") return actionErrorReply(parsed);
      const tool = this.parts.registry.get(parsed.name);
      if (tool === undefined)
        return actionErrorReply({ kind: "unknown-tool", raw: parsed.raw, name: parsed.name, missing: false });
      toolName = tool.name;
      const before = state.countCall(tool.name);
      const cap = tool.maxCallsPerTrajectory;
      if (cap !== undefined && before >= cap) {
        return (
          tool.duplicateReply?.(cap) ?? {
            observation: {
              obs: `Error: Tool '${tool.name}' may be called ${cap} time(s) per task.`,
              metrics: {},
              timeout: false,
            },
            done: false,
            valid: false,
            tool: tool.name,
          }
        );
      }
      const read = readToolArguments(tool, parsed.arguments);
      if (!read.ok) return read.reply;
      return await tool.execute(read.args, this.contextFor(state, extra));
    } catch (error) {
      return toolExceptionReply(describeError(error), toolName);
    }
  }

  private contextFor(state: TrajectoryState, extra: Record<string, unknown>): ToolContext {
    const { pool } = this;
    const { textSearch, imageSearch } = this.parts;
    return {
      trajectoryId: state.id,
      extra,
      blocklist: this.options.blocklist,
      ...(pool === undefined
        ? {}
        : { python: { run: (code: string) => pool.run(state, code, imagesOf(extra)) } }),
      ...(textSearch === undefined ? {} : { textSearch }),
      ...(imageSearch === undefined ? {} : { imageSearch }),
    };
  }

  private record(reply: ToolReply, ms: number): void {
    this.counts.completed += 1;
    this.counts.latencyMsSum += ms;
    const key = reply.tool ?? NO_TOOL;
    let stats = this.toolStats.get(key);
    if (stats === undefined) {
      stats = { calls: 0, invalid: 0, errors: 0, totalMs: 0 };
      this.toolStats.set(key, stats);
    }
    stats.calls += 1;
    stats.totalMs += ms;
    if (!reply.valid) {
      this.counts.invalid += 1;
      stats.invalid += 1;
    }
    if (reply.done && !reply.valid) {
      this.counts.errors += 1;
      stats.errors += 1;
    }
  }
}

/** Upstream verl-tool's FinishTool answer to `finish:[true]`. */
function finishReply(): ToolReply {
  return { observation: "", done: true, valid: true, tool: FINISH };
}

/** The task's images (data URIs) from `extra_fields.images`; a session that has to start loads them. */
function imagesOf(extra: Record<string, unknown>): string[] {
  const { images } = extra;
  return Array.isArray(images) ? images.filter((x): x is string => typeof x === "string") : [];
}
