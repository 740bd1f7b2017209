import type { ToolRequestExtra } from "@hdpo/core";
import type { z } from "zod";
import type { ImageSearch, PythonRunResult, TextSearch } from "../runtime/parts";
import type { ToolReply } from "./tool-reply";

/** The trajectory's Python, as a tool sees it: one persistent session, started lazily, restored after eviction. */
export interface TrajectoryPython {
  /**
   * Runs `code` in this trajectory's session. `notice` is set when the previous session was terminated (timeout,
   * crash) and this call therefore ran in a clean one; the tool puts it in front of the observation.
   */
  run(code: string): Promise<{ result: PythonRunResult; notice?: string }>;
}

/** What the runtime hands a tool for one call. Services the server was not configured with are absent. */
export interface ToolContext {
  readonly trajectoryId: string;
  /** The request's `extra_fields` entry (images, index, timeout, the task's extra_info…). */
  readonly extra: ToolRequestExtra;
  readonly python?: TrajectoryPython;
  readonly textSearch?: TextSearch;
  readonly imageSearch?: ImageSearch;
  /** Whether the reference's substring blocklist runs in front of the sandbox. */
  readonly blocklist: boolean;
}

/** The outcome of reading a call's raw `arguments`: typed arguments, or the reply that answers the call instead. */
export type ReadArguments<A> = { ok: true; args: A } | { ok: false; reply: ToolReply };

/** A typed tool: its name (what the model writes), its description and zod input schema (what the model is shown). */
export interface ToolDefinition<A = Record<string, unknown>> {
  readonly name: string;
  /** Other names the model may write for it (`text_search` for `search`). */
  readonly aliases?: readonly string[];
  readonly description: string;
  readonly inputSchema: z.ZodType<A>;
  /** Calls per trajectory that run; later calls get `duplicateReply` (the reference caps `image_search` at 1). */
  readonly maxCallsPerTrajectory?: number;
  /** The reply to a call beyond `maxCallsPerTrajectory`; `count` is the number of calls already run. */
  duplicateReply?(count: number): ToolReply;
  /**
   * Turns the raw `arguments` object into typed arguments or the reference's error reply for them. Without it the
   * input schema validates and a mismatch becomes an invalid observation naming the problem.
   */
  readArguments?(raw: Record<string, unknown>): ReadArguments<A>;
  execute(args: A, context: ToolContext): Promise<ToolReply>;
}

/** Declares a tool; the identity function that lets TypeScript infer the argument type from the schema. */
export function defineTool<A>(definition: ToolDefinition<A>): ToolDefinition<A> {
  return definition;
}
