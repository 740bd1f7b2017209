import type { GroupIndex } from "./group-index";

/**
 * The members of every group side by side: group `g`'s members are rollouts
 * `order[starts[g]] … order[starts[g + 1] − 1]`, in batch order. `order` is null when that is the
 * identity (no mask and each group already one contiguous run of the batch).
 */
export interface MemberLayout {
  readonly order: Int32Array | null;
  readonly starts: Int32Array;
}

/**
 * The members of each group (every rollout, or those with `mask[i] === 1`) side by side. Without a
 * mask that is the group index itself. With one, the runs are walked in order and the write position
 * advances only past members (`k += mask[i]`): no `if`, because correctness is close to random within a
 * batch and a mispredicted branch per rollout would cost more than the whole pass.
 */
export function layoutMembers(groups: GroupIndex, mask: Uint8Array | null): MemberLayout {
  const { order: groupOrder, runStarts } = groups;
  if (mask === null) return { order: groupOrder, starts: runStarts };
  const groupCount = runStarts.length - 1;
  const order = new Int32Array(runStarts[groupCount]);
  const starts = new Int32Array(groupCount + 1);
  let k = 0;
  for (let g = 0; g < groupCount; g++) {
    starts[g] = k;
    const end = runStarts[g + 1];
    for (let p = runStarts[g]; p < end; p++) {
      const i = groupOrder === null ? p : groupOrder[p];
      order[k] = i;
      k += mask[i];
    }
  }
  starts[groupCount] = k;
  return { order, starts };
}
