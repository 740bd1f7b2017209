/** Counters of one tool (canonical name; "finish" for closes, "none" for actions naming no tool). */
export interface ToolCallStats {
  calls: number;
  /** Replies with valid=false (bad actions, empty code or query, tool exceptions). */
  invalid: number;
  /** Tool exceptions: replies with done=true, valid=false. */
  errors: number;
  /** Time from the start of the request's turn in its trajectory's queue to its answer, summed. */
  totalMs: number;
}

/** What `/metrics` reports. */
export interface ToolRuntimeStats {
  /** Requests admitted (not counting rejected ones). */
  requests: number;
  /** Requests rejected with `ToolOverloadedError`. */
  rejected: number;
  /** Requests answered. */
  completed: number;
  invalid: number;
  errors: number;
  /** Admitted and waiting behind their trajectory's earlier requests. */
  queued: number;
  /** Being answered now. */
  running: number;
  /** Trajectories with state. */
  trajectories: number;
  /** Trajectories closed for being idle. */
  expired: number;
  /** Live Python processes (sessions; the launcher's prewarmed spares not counted). */
  liveSessions: number;
  /** Python calls running / waiting for a worker. */
  pythonRunning: number;
  pythonWaiting: number;
  pythonStarts: number;
  evictions: number;
  replays: number;
  replayedCalls: number;
  timeouts: number;
  terminations: number;
  /** Bytes of Python code kept for replays, over all trajectories (2 bytes a character). */
  replayBytes: number;
  /** Replay histories dropped to stay within `maxReplayBytes` (least recently used first). */
  replayHistoriesDropped: number;
  /** Sum of all answered requests' latency (ms), for a mean with `completed`. */
  latencyMsSum: number;
  tools: Record<string, ToolCallStats>;
}
