export { ResponseBudget } from "./budget";
export { mapWithConcurrency } from "./concurrency";
export type {
  RolloutEvent,
  RolloutEventListener,
  ToolCallEvent,
  TrajectoryEndEvent,
  TrajectoryStartEvent,
  TurnEvent,
} from "./events";
export {
  INFRASTRUCTURE_SERVICES,
  InfrastructureError,
  type InfrastructureService,
  isServiceFailureStatus,
  oneLine,
  SERVICE_LABELS,
} from "./infrastructure-error";
export {
  DEFAULT_MAX_CONSECUTIVE_INFRA_FAILURES,
  describeInfrastructureCounts,
  describeInfrastructureStop,
  type InfrastructureCounts,
  InfrastructureFailures,
  type InfrastructureStop,
  zeroInfrastructureCounts,
} from "./infrastructure-failures";
export {
  APPROX_CHARS_PER_TOKEN,
  approximateTokenCount,
  type CountTokens,
  type KeepSide,
  observationMessage,
  TRUNCATION_MARKER,
  type TruncatedObservation,
  type TruncateTokens,
  truncateByCounting,
  truncateObservation,
} from "./observation";
export {
  MAX_OBSERVATION_IMAGE_BYTES,
  type ObservationImageCheck,
  refusedImagesNote,
  type ScreenedImages,
  screenObservationImages,
  validateObservationImage,
} from "./observation-image";
export {
  type FetchLike,
  parseObservationReply,
  RemoteToolExecutor,
  type RemoteToolExecutorOptions,
} from "./remote-tool-executor";
export { rollout } from "./rollout";
export { AgentLoopError } from "./rollout-error";
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_ACTION_TOKENS,
  DEFAULT_MAX_OBSERVATION_TOKENS,
  DEFAULT_MAX_RESPONSE_TOKENS,
  DEFAULT_MAX_TURNS,
  type LoopOptions,
  type LoopSampling,
  type RolloutOptions,
  type TrajectoryOptions,
} from "./rollout-options";
export { ABORTED_CAUSE, newTrajectoryId, runTrajectory } from "./rollout-trajectory";
export { ToolServerReplicas, type ToolServerReplicasOptions } from "./tool-server-replicas";
export { buildPromptMessages } from "./trajectory-prompt";
export {
  actionText,
  extractModelAnswer,
  parseToolCall,
  restoreToolCallStop,
  TOOL_CALL_CLOSE,
  TOOL_CALL_OPEN,
  UNKNOWN_TOOL_NAME,
} from "./trajectory-text";
