import { ToolsError } from "../tools-error";

/**
 * `ToolRuntime.handle` rejects with it when `maxQueue` requests are already waiting or running; a server answers
 * 503 so the client backs off and retries.
 */
export class ToolOverloadedError extends ToolsError {
  override readonly name = "ToolOverloadedError";

  constructor(readonly maxQueue: number) {
    super(
      `The tool runtime is overloaded: ${maxQueue} requests are already queued or running (maxQueue). ` +
        "Retry later, send fewer concurrent requests, or raise maxQueue/workers.",
    );
  }
}
