import type { Observation, ToolExecutor, ToolRequestExtra } from "@hdpo/core";
import { InfrastructureError } from "./infrastructure-error";
import { RemoteToolExecutor, type RemoteToolExecutorOptions } from "./remote-tool-executor";
import { AgentLoopError, requireNonNegativeInt, requirePositiveInt } from "./rollout-error";

/** Options of {@link ToolServerReplicas}: the replicas, and each one's per-request options. */
export interface ToolServerReplicasOptions extends Omit<RemoteToolExecutorOptions, "url"> {
  /** Base URLs of replicas of one verl-tool server (`hdpo-tool-server`, verl-tool's); each listed once. */
  urls: readonly string[];
  /** How long a replica that failed is left out of new trajectories, in ms. Default 30 000. */
  cooldownMs?: number;
  /**
   * Open trajectories remembered at most; beyond, the oldest is forgotten (its session stays on its replica, and a
   * later call of it would be placed anew). The agent loop closes every trajectory it ends, so only leaked ones
   * reach this. Default 100 000.
   */
  maxOpenTrajectories?: number;
}

interface Replica {
  executor: RemoteToolExecutor;
  open: number;
  /** Until when (epoch ms) new trajectories avoid it. */
  coolingUntil: number;
  /** Failures so far: a success clears the cool-down only when no failure came while it was in flight. */
  failures: number;
}

/**
 * A `ToolExecutor` over several replicas of one tool server. A trajectory's Python session lives on the replica
 * that served its first call, so every call of a trajectory goes there: the first call picks the replica with the
 * fewest open trajectories (the earliest listed on a tie), later calls follow it, and `close` ends the session there
 * and forgets the trajectory. A replica that failed (an {@link InfrastructureError}) is left out of new trajectories
 * for `cooldownMs`, unless all are cooling down, or until a call that started after the failure succeeds on it; a
 * trajectory already on it is never moved — its session state is there — so its calls report the outage as the
 * single-server executor does. With one URL it is that executor.
 */
export class ToolServerReplicas implements ToolExecutor {
  /** Each replica's `/get_observation` endpoint, in the order given. */
  readonly endpoints: readonly string[];
  private readonly replicas: Replica[];
  /** Insertion-ordered, so the first entry is the oldest open trajectory. */
  private readonly assigned = new Map<string, Replica>();
  private readonly cooldownMs: number;
  private readonly maxOpen: number;

  constructor(options: ToolServerReplicasOptions) {
    const { urls, cooldownMs, maxOpenTrajectories, ...perRequest } = options;
    if (!Array.isArray(urls) || urls.length === 0) {
      throw new AgentLoopError("ToolServerReplicas: urls must list at least one tool server.");
    }
    this.cooldownMs = cooldownMs ?? 30_000;
    this.maxOpen = maxOpenTrajectories ?? 100_000;
    requireNonNegativeInt(this.cooldownMs, "cooldownMs");
    requirePositiveInt(this.maxOpen, "maxOpenTrajectories");
    this.replicas = urls.map((url) => ({
      executor: new RemoteToolExecutor({ ...perRequest, url }),
      open: 0,
      coolingUntil: 0,
      failures: 0,
    }));
    this.endpoints = this.replicas.map((replica) => replica.executor.endpoint);
    const seen = new Set<string>();
    for (const endpoint of this.endpoints) {
      // One server listed twice would take twice its share of trajectories: a typo, not a weighting.
      if (seen.has(endpoint)) {
        throw new AgentLoopError(
          `ToolServerReplicas: ${endpoint} is listed twice; list each tool server replica once.`,
        );
      }
      seen.add(endpoint);
    }
  }

  /** The replica serving a trajectory, if it has made a call and is not closed. */
  endpointFor(trajectoryId: string): string | undefined {
    return this.assigned.get(trajectoryId)?.executor.endpoint;
  }

  /** @throws InfrastructureError when the trajectory's replica failed (see the class). */
  async execute(trajectoryId: string, actionText: string, extra?: ToolRequestExtra): Promise<Observation> {
    const replica = this.assigned.get(trajectoryId) ?? this.assign(trajectoryId);
    const failuresBefore = replica.failures;
    try {
      const observation = await replica.executor.execute(trajectoryId, actionText, extra);
      if (replica.failures === failuresBefore) replica.coolingUntil = 0;
      return observation;
    } catch (error) {
      if (error instanceof InfrastructureError) {
        replica.failures++;
        replica.coolingUntil = Date.now() + this.cooldownMs;
      }
      throw error;
    }
  }

  /** Ends the trajectory's session on its replica (best effort, as the single-server executor) and forgets it. */
  async close(trajectoryId: string): Promise<void> {
    const replica = this.assigned.get(trajectoryId);
    if (replica === undefined) return;
    this.release(trajectoryId, replica);
    await replica.executor.close(trajectoryId);
  }

  private assign(trajectoryId: string): Replica {
    const now = Date.now();
    const ready = this.replicas.filter((replica) => replica.coolingUntil <= now);
    const candidates = ready.length > 0 ? ready : this.replicas;
    let chosen = candidates[0]!;
    for (const replica of candidates) if (replica.open < chosen.open) chosen = replica;
    chosen.open++;
    this.assigned.set(trajectoryId, chosen);
    if (this.assigned.size > this.maxOpen) {
      const [oldest, replica] = this.assigned.entries().next().value as [string, Replica];
      this.release(oldest, replica);
    }
    return chosen;
  }

  private release(trajectoryId: string, replica: Replica): void {
    this.assigned.delete(trajectoryId);
    replica.open--;
  }
}
