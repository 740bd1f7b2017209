import { setMaxListeners } from "node:events";
import type { Task, Trajectory } from "@hdpo/core";
import { mapWithConcurrency } from "./concurrency";
import { InfrastructureError } from "./infrastructure-error";
import { AgentLoopError, requirePositiveInt } from "./rollout-error";
import { DEFAULT_CONCURRENCY, type RolloutOptions, resolveLimits } from "./rollout-options";
import { newTrajectoryId, runTrajectory } from "./rollout-trajectory";

/**
 * Rolls out every task `groupSize` times (G rollouts per task, `groupId` = task id, `rolloutIndex` 0 … G−1) with at
 * most `concurrency` trajectories in flight. Resolves with all trajectories, task-major in input order; one failing
 * trajectory ends as finishReason "error" and never takes down the batch. After `signal` aborts, running and
 * not-yet-started trajectories end as "error" with cause "aborted" (nothing is dropped).
 * Rejects with the first {@link InfrastructureError} (the tool server or the model endpoint failed): a batch with a
 * missing rollout cannot be scored, so no trajectory is returned; no further trajectory starts and those in flight
 * are aborted before it rejects. Otherwise rejects only for invalid options or input: duplicate task ids (groups
 * would mix), duplicate trajectory ids, a bad groupSize/concurrency.
 */
export async function rollout(tasks: readonly Task[], options: RolloutOptions): Promise<Trajectory[]> {
  if (!Array.isArray(tasks)) throw new AgentLoopError("rollout: tasks must be an array of Task.");
  requirePositiveInt(options.groupSize, "groupSize");
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  requirePositiveInt(concurrency, "concurrency");
  resolveLimits(options);

  const seenTasks = new Set<string>();
  for (const task of tasks) {
    if (typeof task?.id !== "string" || task.id.length === 0) {
      throw new AgentLoopError("rollout: every task needs a non-empty string id.");
    }
    if (seenTasks.has(task.id)) {
      throw new AgentLoopError(
        `rollout: task id "${task.id}" appears twice; task ids are group ids and must be unique.`,
      );
    }
    seenTasks.add(task.id);
  }

  const makeId = options.makeTrajectoryId ?? (() => newTrajectoryId());
  const jobs = tasks.flatMap((task) =>
    Array.from({ length: options.groupSize }, (_, rolloutIndex) => ({
      task,
      rolloutIndex,
      id: makeId(task.id, rolloutIndex),
    })),
  );
  const seenIds = new Set<string>();
  for (const job of jobs) {
    if (seenIds.has(job.id)) {
      throw new AgentLoopError(
        `rollout: trajectory id "${job.id}" was made twice; makeTrajectoryId must be unique.`,
      );
    }
    seenIds.add(job.id);
  }
  // The first outage aborts the trajectories in flight: their results would be thrown away with the batch.
  const outage = new AbortController();
  const signal =
    options.signal === undefined ? outage.signal : AbortSignal.any([options.signal, outage.signal]);
  // Every in-flight trajectory listens on the signal; the default cap of 10 would warn at any real concurrency.
  setMaxListeners(concurrency * 4 + 16, signal);
  if (options.signal !== undefined) setMaxListeners(concurrency * 4 + 16, options.signal);

  const {
    groupSize: _groupSize,
    concurrency: _concurrency,
    makeTrajectoryId: _make,
    ...loopOptions
  } = options;
  return mapWithConcurrency(jobs, concurrency, async (job) => {
    try {
      return await runTrajectory(job.task, {
        ...loopOptions,
        signal,
        groupId: job.task.id,
        rolloutIndex: job.rolloutIndex,
        trajectoryId: job.id,
      });
    } catch (error) {
      if (error instanceof InfrastructureError) {
        outage.abort();
        throw error;
      }
      // runTrajectory rejects only for invalid options, validated above; kept so no job can take down the batch
      return errorTrajectory(job.task, job.rolloutIndex, job.id, error);
    }
  });
}

function errorTrajectory(task: Task, rolloutIndex: number, id: string, error: unknown): Trajectory {
  return {
    id,
    taskId: task.id,
    groupId: task.id,
    rolloutIndex,
    turns: [],
    finalText: "",
    toolCalls: 0,
    toolCallsByName: {},
    invalidToolCalls: 0,
    finishReason: "error",
    error: error instanceof Error ? error.message : String(error),
    timings: { startedAt: new Date().toISOString(), totalMs: 0, generationMs: 0, toolMs: 0 },
  };
}
