import type { Observation, ToolExecutor } from "@hdpo/core";

/** The observation every call gets in a run without tools (`--tools none`): still counted in T. */
export const NO_TOOLS_TEXT = "Error: No tools are available in this run; answer with <answer>...</answer>.";

/** A ToolExecutor for `--tools none`: every call is answered as invalid, so blind tool use stays visible. */
export class NoToolsExecutor implements ToolExecutor {
  async execute(): Promise<Observation> {
    return { text: NO_TOOLS_TEXT, valid: false, done: false };
  }

  async close(): Promise<void> {}
}
