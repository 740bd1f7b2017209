import type { Observation } from "./tool-call";

/** What the reference forwards with each tool request: the task's images and its `extra_info`. */
export interface ToolRequestExtra {
  images?: string[];
  [key: string]: unknown;
}

/**
 * The seam between the agent loop and tools: in-process tools and a remote verl-tool server implement it alike.
 * `execute` never throws for a bad action; it answers with an invalid observation, as the reference does.
 */
export interface ToolExecutor {
  execute(trajectoryId: string, actionText: string, extra?: ToolRequestExtra): Promise<Observation>;
  /** Releases the trajectory's session (kernel, directory); safe to call more than once. */
  close(trajectoryId: string): Promise<void>;
}
