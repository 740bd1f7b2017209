import { z } from "zod";
import type { ToolRegistry } from "./tool-registry";

/** An OpenAI chat-completions function tool (`tools[]` entry). */
export interface OpenAIFunctionTool {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/**
 * The OpenAI function-tool schemas of every registered tool, generated from their zod input schemas (JSON Schema
 * draft 2020-12 without the `$schema` key, which OpenAI-compatible servers reject or ignore). Aliases are not
 * listed: the model is shown one name per tool.
 */
export function openAITools(registry: ToolRegistry): OpenAIFunctionTool[] {
  return registry.list().map((tool) => {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.inputSchema) as Record<string, unknown>;
    return { type: "function", function: { name: tool.name, description: tool.description, parameters } };
  });
}
