// Test doubles that speak real wire formats, for packages and apps built on the agent loop
// (`@hdpo/agent-loop/testing`): an OpenAI-compatible HTTP server with scripted turns and a verl-tool server.
export * from "./test-openai-server";
export { InProcessTools, type RecordedToolCall } from "./test-support/in-process-tools";
export { type ScriptContext, ScriptedPolicy, type ScriptedTurn } from "./test-support/scripted-policy";
export {
  metisLikeReply,
  type ObservationRequestBody,
  type ScriptedReply as ScriptedToolReply,
  startVerlToolTestServer,
  type VerlToolTestServer,
} from "./test-support/verl-tool-test-server";
