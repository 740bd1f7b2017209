import type { ToolRegistry } from "../registry/tool-registry";
import type { ToolReply } from "../registry/tool-reply";
import type { SandboxReport } from "./parts";
import type { ToolRuntimeStats } from "./runtime-stats";

/** One `/get_observation` entry: a trajectory id, its action text and its `extra_fields` (finish, images, index…). */
export interface ToolRequest {
  trajectoryId: string;
  action: string;
  extra?: Record<string, unknown>;
}

/** A call given by name and arguments (an MCP or OpenAI tool call) instead of action text. */
export interface ToolCallRequest {
  trajectoryId: string;
  name: string;
  /** An object, or a JSON string of one (OpenAI's `function.arguments`). */
  arguments?: unknown;
  extra?: Record<string, unknown>;
}

/** The verl-tool/Metis server semantics, shared by the HTTP server and the in-process executor. */
export interface ToolRuntime {
  /**
   * Answers one action of one trajectory, after that trajectory's earlier requests. Bad actions become the
   * reference's observations; it rejects only with `ToolOverloadedError` (queue full) or after `shutdown`.
   */
  handle(request: ToolRequest): Promise<ToolReply>;
  /** `handle` for a call given by name and arguments; same replies, same ordering. */
  call(request: ToolCallRequest): Promise<ToolReply>;
  /** Closes the trajectory after its earlier requests: kills its Python session, forgets its state. */
  close(trajectoryId: string): Promise<void>;
  stats(): ToolRuntimeStats;
  /** The tools served (for listing them, e.g. over MCP or as OpenAI tools with `openAITools`). */
  readonly registry: ToolRegistry;
  /** The Python sandbox in use; undefined without Python. */
  readonly sandbox: SandboxReport | undefined;
  /** Kills every child process and rejects later requests; idempotent. */
  shutdown(): Promise<void>;
}
