// The public API of @hdpo/tools: re-exports only.
export { actionErrorReply, actionTooLongText, noHandlerText } from "./actions/action-error-reply";
export { MAX_JSON_DEPTH } from "./actions/json-depth";
export {
  DEFAULT_MAX_ACTION_CHARS,
  type OpenAIToolCallLike,
  type ParseActionOptions,
  parseOpenAIToolCall,
  parseToolCallText,
  TOOL_CALL_CLOSE,
  TOOL_CALL_OPEN,
} from "./actions/parse-tool-call";
export type { KnownTools, ParsedAction } from "./actions/parsed-action";
export { firstTagBlock, lastTagBlock, type TagBlock } from "./actions/tool-call-blocks";
export { InProcessToolExecutor } from "./executor/in-process-tool-executor";
export { observationFromReply } from "./executor/observation-from-reply";
export * from "./image-search/index";
export * from "./python/index";
export { BUILTIN_TOOLS, createBuiltinRegistry } from "./registry/builtin-tools";
export {
  defineTool,
  type ReadArguments,
  type ToolContext,
  type ToolDefinition,
  type TrajectoryPython,
} from "./registry/define-tool";
export {
  IMAGE_SEARCH_MAX_CALLS,
  imageSearchDuplicateText,
  imageSearchTool,
} from "./registry/image-search-tool";
export { type OpenAIFunctionTool, openAITools } from "./registry/openai-tools";
export { NO_CODE_TEXT, PYTHON_NOT_CONFIGURED_TEXT, pythonTool } from "./registry/python-tool";
export { EMPTY_SEARCH_QUERY_TEXT, SEARCH_NOT_CONFIGURED_TEXT, searchTool } from "./registry/search-tool";
export { type RegisteredTool, readToolArguments, ToolRegistry } from "./registry/tool-registry";
export {
  describeError,
  mentionsTimeout,
  type ObservationObject,
  observationReply,
  REFERENCE_TOOL_TYPE,
  type ToolReply,
  toolExceptionReply,
} from "./registry/tool-reply";
export { createToolRuntime } from "./runtime/create-tool-runtime";
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_QUEUE,
  DEFAULT_MAX_SESSIONS,
  type ToolRuntimeOptions,
} from "./runtime/runtime-options";
export type { ToolCallStats, ToolRuntimeStats } from "./runtime/runtime-stats";
export { ToolOverloadedError } from "./runtime/tool-overloaded-error";
export type { ToolCallRequest, ToolRequest, ToolRuntime } from "./runtime/tool-runtime";
export * from "./search/index";
export { TERMINATED_SESSION_NOTICE, UNRESTORED_SESSION_NOTICE } from "./sessions/python-session-pool";
export { DEFAULT_MAX_REPLAY_BYTES } from "./sessions/replay-budget";
export { MAX_REPLAY_CHARS } from "./sessions/trajectory-state";
export { ToolsError } from "./tools-error";
