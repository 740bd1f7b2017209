import type { Observation, ToolExecutor, ToolRequestExtra } from "@hdpo/core";

/** One recorded `execute` call. */
export interface RecordedToolCall {
  trajectoryId: string;
  action: string;
  extra: ToolRequestExtra | undefined;
}

/**
 * An in-process `ToolExecutor` for tests and benchmarks: answers each action with `respond` (default: echo the
 * action, valid), and records every call and close when `record` is set.
 */
export class InProcessTools implements ToolExecutor {
  readonly calls: RecordedToolCall[] = [];
  readonly closed: string[] = [];

  constructor(
    private readonly respond: (call: RecordedToolCall) => Observation | Promise<Observation> = (call) => ({
      text: `echo:${call.action.length}`,
      valid: true,
      done: false,
    }),
    private readonly record = true,
  ) {}

  async execute(trajectoryId: string, action: string, extra?: ToolRequestExtra): Promise<Observation> {
    const call = { trajectoryId, action, extra };
    if (this.record) this.calls.push(call);
    return this.respond(call);
  }

  async close(trajectoryId: string): Promise<void> {
    if (this.record) this.closed.push(trajectoryId);
  }
}
