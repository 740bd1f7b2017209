import type { FinishReason } from "@hdpo/core";

/** Emitted once when a trajectory begins. */
export interface TrajectoryStartEvent {
  type: "trajectory-start";
  trajectoryId: string;
  taskId: string;
  rolloutIndex: number;
}

/** Emitted after every policy generation (one assistant turn). */
export interface TurnEvent {
  type: "turn";
  trajectoryId: string;
  /** 0-based index of the generation within the trajectory. */
  step: number;
  finishReason: "stop" | "length" | "tool-call";
  /** Tokens the turn spent from the response budget. */
  tokens: number;
  generationMs: number;
}

/** Emitted after every tool request, whatever its outcome (each one counts toward T). */
export interface ToolCallEvent {
  type: "tool-call";
  trajectoryId: string;
  step: number;
  toolName: string;
  valid: boolean;
  done: boolean;
  toolMs: number;
}

/** Emitted once when a trajectory ends, also on error or abort. */
export interface TrajectoryEndEvent {
  type: "trajectory-end";
  trajectoryId: string;
  taskId: string;
  finishReason: FinishReason;
  toolCalls: number;
  error?: string;
}

/** Progress of a rollout, for logs and dashboards. */
export type RolloutEvent = TrajectoryStartEvent | TurnEvent | ToolCallEvent | TrajectoryEndEvent;

/** Receives progress events; it must be cheap, as it runs inline in the loop. */
export type RolloutEventListener = (event: RolloutEvent) => void;

/**
 * Delivers `event` to `listener`. A throwing listener is a bug in the caller's logging, not in the rollout,
 * so its error is dropped rather than allowed to end a trajectory that was otherwise fine.
 */
export function emitEvent(listener: RolloutEventListener | undefined, event: RolloutEvent): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // deliberately ignored: see the doc comment
  }
}
