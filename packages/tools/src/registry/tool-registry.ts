import { z } from "zod";
import { ToolsError } from "../tools-error";
import type { ReadArguments, ToolDefinition } from "./define-tool";
import { observationReply } from "./tool-reply";

/** A registered tool with its argument type erased (method parameters stay checkable at definition time). */
export type RegisteredTool = ToolDefinition<unknown>;

/** Tools by name and alias. Names are matched exactly, as the reference's handler table does. */
export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();
  private readonly byName = new Map<string, RegisteredTool>();

  constructor(tools: readonly RegisteredTool[] = []) {
    for (const tool of tools) this.register(tool);
  }

  /** Adds a tool; a name or alias that is already taken is an error (two tools cannot answer one name). */
  register<A>(tool: ToolDefinition<A>): this {
    const erased = tool as RegisteredTool;
    const names = [tool.name, ...(tool.aliases ?? [])];
    for (const name of names) {
      if (name.length === 0)
        throw new ToolsError(`Tool names must be non-empty; tool "${tool.name}" has an empty name or alias.`);
      const taken = this.byName.get(name);
      if (taken !== undefined) {
        throw new ToolsError(
          `Tool name "${name}" is already used by tool "${taken.name}"; give tool "${tool.name}" another name or alias.`,
        );
      }
    }
    for (const name of names) this.byName.set(name, erased);
    this.tools.set(tool.name, erased);
    return this;
  }

  /** The tool answering `name` (its own name or an alias), or undefined. */
  get(name: string): RegisteredTool | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The registered tools in registration order (each once, aliases not repeated). */
  list(): RegisteredTool[] {
    return [...this.tools.values()];
  }
}

/** Reads a call's raw arguments with the tool's own reader, or by validating against its input schema. */
export function readToolArguments(
  tool: RegisteredTool,
  raw: Record<string, unknown>,
): ReadArguments<unknown> {
  if (tool.readArguments !== undefined) return tool.readArguments(raw);
  const parsed = tool.inputSchema.safeParse(raw);
  if (parsed.success) return { ok: true, args: parsed.data };
  return {
    ok: false,
    reply: observationReply(
      {
        obs: `Error: Invalid arguments for tool '${tool.name}': ${z.prettifyError(parsed.error)}`,
        metrics: {},
        timeout: false,
      },
      { valid: false, tool: tool.name },
    ),
  };
}
