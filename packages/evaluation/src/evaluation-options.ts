import type {
  InfrastructureCounts,
  InfrastructureService,
  InfrastructureStop,
  TrajectoryOptions,
} from "@hdpo/agent-loop";
import type { Policy, Task, ToolExecutor, Trajectory } from "@hdpo/core";
import type { Judge } from "@hdpo/judge";
import type { Prediction } from "./prediction";

/** Items in flight at most when the caller does not say. */
export const DEFAULT_EVALUATION_CONCURRENCY = 16;

/** How one task is rolled out: the agent loop's settings without the parts {@link evaluate} supplies. */
export type RolloutSettings = Omit<TrajectoryOptions, "policy" | "tools" | "signal">;

/** The judge as the engine uses it: a verdict per answer, and what to do with a failed judgement. */
export type EvaluationJudge = Pick<Judge, "judge" | "errorPolicy">;

/** How an unreachable judge is named in the item's error (the CLI names its flag, the trainer its config key). */
export interface JudgeOutageWording {
  /** The judge's URL, recorded on the error and named in its message. */
  endpoint?: string;
  /** What to do, after the cause; default "check that it is running.". */
  hint?: string;
}

/** Options of {@link evaluate}. */
export interface EvaluationOptions {
  /** The items in order; an async source (a dataset read as it goes) is pulled only as fast as items start. */
  tasks: Iterable<Task> | AsyncIterable<Task>;
  policy: Policy;
  tools: ToolExecutor;
  judge: EvaluationJudge;
  /** The loop's settings for every task, or per task (trajectory ids, seeds); the loop's defaults when omitted. */
  rollout?: RolloutSettings | ((task: Task, index: number) => RolloutSettings);
  /** Items in flight at most; default {@link DEFAULT_EVALUATION_CONCURRENCY}. */
  concurrency?: number;
  /**
   * Items in a row that one service (tool server, model endpoint, judge) may fail before the run stops starting
   * items and abandons those in flight; agent-loop's default when omitted.
   */
  maxInfraFailures?: number;
  /** Ids finished by an earlier run (a resume): skipped, never rolled out again. */
  skip?: ReadonlySet<string>;
  /** Stop starting items; running ones finish (a first Ctrl-C). */
  stop?: AbortSignal;
  /** Abandon running items too; an abandoned item is reported nowhere and runs again on resume (a second Ctrl-C). */
  abort?: AbortSignal;
  /**
   * Told of every item as it ends, and awaited: an item counts as scored only once its "scored" event has returned,
   * so a listener that persists it (a predictions log) makes the run resumable. A listener that throws ends the run:
   * no new item starts, running ones finish, and {@link evaluate} rejects with that error.
   */
  onEvent?: (event: EvaluationEvent) => void | Promise<void>;
  judgeOutage?: JudgeOutageWording;
}

/** An item whose rollout failed (the policy erred, the loop failed): not scored; a resumed run retries it. */
export interface FailedItem {
  id: string;
  error: string;
}

/** An item a failing service (tool server, model endpoint, judge) kept from being scored; a resumed run retries it. */
export interface UnscoredItem {
  id: string;
  service: InfrastructureService;
  error: string;
}

/** What {@link evaluate} reports as items end; `index` is the item's position in `tasks`. */
export type EvaluationEvent =
  | { type: "scored"; index: number; task: Task; trajectory: Trajectory; prediction: Prediction }
  | { type: "failed"; index: number; task: Task; trajectory: Trajectory; error: string }
  | { type: "unscored"; index: number; task: Task; service: InfrastructureService; error: string }
  /** Once, when one service has failed `maxInfraFailures` items in a row. */
  | { type: "infrastructure-stop"; stop: InfrastructureStop };

/** What one run of {@link evaluate} did; every list is in the order of `tasks`. */
export interface EvaluationRun {
  /** The items scored by this run. */
  predictions: Prediction[];
  failed: FailedItem[];
  unscored: UnscoredItem[];
  /** Items left unscored by this run, by the service that failed. */
  notScored: InfrastructureCounts;
  /** Items passed over because `skip` held their id. */
  skipped: number;
  /** Set when one service failed `maxInfraFailures` items in a row and the run stopped starting items. */
  infrastructureStop?: InfrastructureStop;
}
