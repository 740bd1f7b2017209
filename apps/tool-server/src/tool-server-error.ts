/** The error of `@hdpo/tool-server`: its message says what was wrong and what to do. */
export class ToolServerError extends Error {
  override readonly name = "ToolServerError";
}
