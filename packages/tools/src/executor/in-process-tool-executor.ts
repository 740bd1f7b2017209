import type { Observation, ToolExecutor, ToolRequestExtra } from "@hdpo/core";
import { describeError } from "../registry/tool-reply";
import type { ToolRuntime } from "../runtime/tool-runtime";
import { observationFromReply } from "./observation-from-reply";

/**
 * A `ToolExecutor` that runs the tools in this process through a `ToolRuntime`: the same replies as a remote
 * tool server, mapped to `Observation`s as the remote executor maps them. A request the runtime refuses (queue
 * full, shut down) becomes "Tool call error: …" with done=true, valid=false, as a remote request that keeps failing
 * does; `execute` never rejects.
 */
export class InProcessToolExecutor implements ToolExecutor {
  constructor(readonly runtime: ToolRuntime) {}

  async execute(trajectoryId: string, actionText: string, extra?: ToolRequestExtra): Promise<Observation> {
    try {
      const reply = await this.runtime.handle({
        trajectoryId,
        action: actionText,
        extra: { ...extra, finish: false, is_last_step: false },
      });
      return observationFromReply(reply);
    } catch (error) {
      const text = `Tool call error: ${describeError(error)}`;
      return { text, valid: false, done: true, error: text };
    }
  }

  /** Closes the trajectory's session (kills its Python process, forgets its state). */
  close(trajectoryId: string): Promise<void> {
    return this.runtime.close(trajectoryId);
  }
}
