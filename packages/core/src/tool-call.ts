import { z } from "zod";

/**
 * A tool call as parsed from the model: from the text protocol (`<tool_call>{"name":…,"arguments":{…}}</tool_call>`)
 * or from a native OpenAI `tool_calls` entry (which carries an `id`). `raw` keeps the exact text the model wrote.
 */
export const ToolCallSchema = z.object({
  id: z.string().optional(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  raw: z.string().optional(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/** What a tool gave back, as the agent loop and the tool server exchange it. */
export const ObservationSchema = z.object({
  text: z.string(),
  images: z.array(z.string()).optional(),
  /** False for bad JSON, unknown tools, empty code or query: the reference's `valids`. */
  valid: z.boolean(),
  /** True when the tool ends the trajectory (the reference's `dones`). */
  done: z.boolean(),
  toolName: z.string().optional(),
  metrics: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
  error: z.string().optional(),
});
export type Observation = z.infer<typeof ObservationSchema>;
