import type { Policy, PolicyRequest, PolicyTurn } from "@hdpo/core";
import { deriveSeed } from "@hdpo/policy";

/** A 32-bit FNV-1a hash of a string, to turn a trajectory id into a seed stream. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Gives every turn a sampling seed derived from the run seed, the trajectory (the loop's affinity key) and the
 * turn index, so that a rollout's samples do not depend on the order in which concurrent trajectories reach the
 * policy (tool calls finish in any order): the same seed gives the same rollouts.
 */
export class TurnSeededPolicy implements Policy {
  readonly name: string;
  constructor(
    private readonly inner: Policy,
    private readonly seed: number,
  ) {
    this.name = inner.name;
  }

  generate(request: PolicyRequest): Promise<PolicyTurn> {
    const stream = deriveSeed(this.seed, hashString(request.affinityKey ?? ""));
    const seed = deriveSeed(stream, request.messages.length);
    return this.inner.generate({ ...request, sampling: { ...request.sampling, seed } });
  }
}
