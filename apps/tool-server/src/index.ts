export { HttpError, type ValidationDetail } from "@hdpo/http";
export { type BuiltRuntime, buildRuntime } from "./cli/build-runtime";
export {
  DEFAULT_PORT,
  DEFAULT_SESSION_DIR,
  parseCliOptions,
  type ToolServerCliOptions,
  USAGE,
} from "./cli/cli-options";
export { type CliIo, type CliResult, main } from "./cli/main";
export { DEFAULT_MAX_JSON_DEPTH } from "./http/json-depth";
export { DEFAULT_MAX_REPLY_BYTES } from "./http/observation-reply";
export {
  MAX_TRAJECTORY_ID_LENGTH,
  type ObservationRequest,
  parseObservationRequest,
} from "./http/observation-request";
export type { ServerCounters } from "./http/server-counters";
export {
  type CloseOptions,
  createToolServer,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type PythonInfo,
  type ToolServer,
  type ToolServerOptions,
} from "./http/tool-server";
export {
  DEFAULT_MAX_MCP_SESSIONS,
  DEFAULT_MCP_IDLE_TIMEOUT_MS,
  McpHttpSessions,
  type McpHttpSessionsOptions,
  mcpTrajectoryId,
} from "./mcp/mcp-http-sessions";
export { runMcpStdio } from "./mcp/mcp-stdio";
export { createMcpToolServer, MCP_SERVER_INFO, replyToToolResult } from "./mcp/mcp-tools";
export type { SandboxReportLike, ToolReplyLike, ToolRequestLike, ToolRuntimePort } from "./runtime-port";
export { ToolServerError } from "./tool-server-error";
