export { type BuiltRuntime, buildRuntime } from "./cli/build-runtime";
export {
  DEFAULT_PORT,
  DEFAULT_SESSION_DIR,
  parseCliOptions,
  type ToolServerCliOptions,
  USAGE,
} from "./cli/cli-options";
export { type CliIo, type CliResult, main } from "./cli/main";
export { HttpError, type ValidationDetail } from "./http/http-error";
export {
  MAX_TRAJECTORY_ID_LENGTH,
  type ObservationRequest,
  parseObservationRequest,
} from "./http/observation-request";
export type { ServerCounters } from "./http/server-counters";
export {
  type CloseOptions,
  createToolServer,
  type PythonInfo,
  type ToolServer,
  type ToolServerOptions,
} from "./http/tool-server";
export { McpHttpSessions, type McpHttpSessionsOptions, mcpTrajectoryId } from "./mcp/mcp-http-sessions";
export { runMcpStdio } from "./mcp/mcp-stdio";
export { createMcpToolServer, MCP_SERVER_INFO, replyToToolResult } from "./mcp/mcp-tools";
export type { SandboxReportLike, ToolReplyLike, ToolRequestLike, ToolRuntimePort } from "./runtime-port";
export { ToolServerError } from "./tool-server-error";
