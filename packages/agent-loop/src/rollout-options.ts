import type { Message, Policy, SamplingParams, ToolExecutor } from "@hdpo/core";
import type { RolloutEventListener } from "./events";
import type { CountTokens, TruncateTokens } from "./observation";
import { AgentLoopError, requireNonNegativeInt, requirePositiveInt } from "./rollout-error";

/** Reference defaults (metis-protocol.md §5, `train_metis.sh`). */
export const DEFAULT_MAX_TURNS = 10;
export const DEFAULT_MAX_RESPONSE_TOKENS = 16384;
export const DEFAULT_MAX_ACTION_TOKENS = 16384;
export const DEFAULT_MAX_OBSERVATION_TOKENS = 8192;
export const DEFAULT_CONCURRENCY = 256;

/** Sampling settings the caller controls; `maxTokens` and `stop` are set by the loop every turn. */
export type LoopSampling = Omit<SamplingParams, "maxTokens" | "stop">;

/** Options shared by one trajectory and a whole rollout. */
export interface LoopOptions {
  policy: Policy;
  tools: ToolExecutor;
  sampling?: LoopSampling;
  /** Tool calls executed at most; a call at generation index = maxTurns is not executed ("max_turns"). Default 10. */
  maxTurns?: number;
  /** Response budget shared by actions and observations. Default 16384. */
  maxResponseTokens?: number;
  /** Per-generation cap. Default 16384. */
  maxActionTokens?: number;
  /** Observations longer than this are cut (see `truncateObservation`). Default 8192. */
  maxObservationTokens?: number;
  /** Token counter for budgets and truncation; default `approximateTokenCount` (characters / 4, an approximation). */
  countTokens?: CountTokens;
  /** Token-exact cut; default: binary search with `countTokens`. */
  truncateTokens?: TruncateTokens;
  /**
   * Encodes an observation as the policy sees it (with the chat template around it, as the reference renders
   * `<|im_end|>\n<|im_start|>user\n{obs}<|im_end|>\n<|im_start|>assistant\n`). Without it, `tokens` is left
   * undefined for trajectories with observations.
   */
  encodeObservation?: (text: string, images: readonly string[]) => number[];
  /** Encodes the opening messages into `tokens.promptIds`; default none (promptIds = []). */
  encodePrompt?: (messages: readonly Message[]) => number[];
  /** System message for tasks without their own `prompt`. */
  systemPrompt?: string;
  /** Tool schemas for policies that call tools natively; passed through to `Policy.generate`. */
  toolSchemas?: unknown[];
  signal?: AbortSignal;
  onEvent?: RolloutEventListener;
}

/** Options of `runTrajectory`. */
export interface TrajectoryOptions extends LoopOptions {
  /** GRPO group; default the task id. */
  groupId?: string | number;
  /** 0 … G−1 within the group; default 0. */
  rolloutIndex?: number;
  /** Also the tool-server session id; default a fresh uuid4 hex, as the reference. */
  trajectoryId?: string;
}

/** Options of `rollout`. */
export interface RolloutOptions extends LoopOptions {
  /** G: rollouts per task. */
  groupSize: number;
  /** Trajectories in flight at most; default 256 (`max_concurrent_trajectories`). */
  concurrency?: number;
  /** Makes trajectory ids (and tool sessions); default uuid4 hex. Must give unique ids. */
  makeTrajectoryId?: (taskId: string, rolloutIndex: number) => string;
}

/** The numeric limits after defaults, validated. */
export interface LoopLimits {
  maxTurns: number;
  maxResponseTokens: number;
  maxActionTokens: number;
  maxObservationTokens: number;
}

/** Applies defaults and throws an `AgentLoopError` for a limit that is not a whole number in range. */
export function resolveLimits(options: LoopOptions): LoopLimits {
  if (options.policy === undefined || typeof options.policy.generate !== "function") {
    throw new AgentLoopError("options.policy must implement Policy (a generate(request) method).");
  }
  if (options.tools === undefined || typeof options.tools.execute !== "function") {
    throw new AgentLoopError("options.tools must implement ToolExecutor (execute and close methods).");
  }
  const limits: LoopLimits = {
    maxTurns: options.maxTurns ?? DEFAULT_MAX_TURNS,
    maxResponseTokens: options.maxResponseTokens ?? DEFAULT_MAX_RESPONSE_TOKENS,
    maxActionTokens: options.maxActionTokens ?? DEFAULT_MAX_ACTION_TOKENS,
    maxObservationTokens: options.maxObservationTokens ?? DEFAULT_MAX_OBSERVATION_TOKENS,
  };
  requireNonNegativeInt(limits.maxTurns, "maxTurns");
  requirePositiveInt(limits.maxResponseTokens, "maxResponseTokens");
  requirePositiveInt(limits.maxActionTokens, "maxActionTokens");
  requirePositiveInt(limits.maxObservationTokens, "maxObservationTokens");
  return limits;
}
