import { AdvantagesError } from "./advantages-error";
import { describe } from "./validate-input";

/**
 * The prompt a rollout belongs to. Rollouts with the same id form a group. Ids compare as JavaScript
 * values (as Python dict keys do in the reference), so the string `"1"` and the number `1` are two groups.
 */
export type GroupId = string | number;

/**
 * A batch's groups, numbered densely by first appearance, as runs of a batch ordering: group `g` is
 * rollouts `order[runStarts[g]] … order[runStarts[g + 1] − 1]` (in batch order). `order` is null when
 * that ordering is the batch itself, i.e. every group is already one contiguous run (the usual layout).
 */
export interface GroupIndex {
  /** The original id of each dense group. */
  readonly ids: readonly GroupId[];
  readonly order: Int32Array | null;
  readonly runStarts: Int32Array;
}

/**
 * Groups the rollouts by id without hashing most of them. Each rollout is first guessed to share the
 * group of the rollout `lag` positions back: `lag` starts at 1, which is right for the usual contiguous
 * layout, and is reset to the distance between the last two sightings of a group whenever the Map has
 * to be asked, which makes it P for prompts interleaved round-robin (rollout k of every prompt, then
 * k + 1, …). A right guess costs one comparison; only a wrong one touches the Map, so any other order
 * stays correct, just slower. Interleaved ids are then counting-sorted into runs once, so every later
 * pass walks short contiguous runs either way.
 */
export function indexGroups(groupIds: ArrayLike<GroupId>): GroupIndex {
  const n = groupIds.length;
  const groupOf = new Int32Array(n);
  const ids: GroupId[] = [];
  // Where each group was last seen other than as a continuation of its own run; only steers the guess.
  const lastSeen: number[] = [];
  const firstRollout: number[] = [];
  const lookup = new Map<GroupId, number>();
  let lag = 1;
  let runs = 0;
  let previousGroup = -1;
  for (let i = 0; i < n; i++) {
    const id = groupIds[i] as unknown;
    let group: number;
    // A match can only be an id that was already validated (NaN never equals itself).
    if (i >= lag && groupIds[i - lag] === id) {
      group = groupOf[i - lag];
      if (lag === 1) {
        groupOf[i] = group;
        continue;
      }
    } else {
      if (typeof id !== "string" && !Number.isFinite(id)) {
        throw new AdvantagesError(
          `groupIds[${i}] is ${describe(id)}; a group id must be a string or a finite number ` +
            `(the prompt's uid), the same for every rollout of one prompt.`,
        );
      }
      const known = lookup.get(id as GroupId);
      if (known === undefined) {
        group = ids.length;
        ids.push(id as GroupId);
        firstRollout.push(i);
        lastSeen.push(i);
        lookup.set(id as GroupId, group);
      } else {
        group = known;
        lag = i - lastSeen[group];
      }
    }
    if (group !== previousGroup) runs++;
    lastSeen[group] = i;
    groupOf[i] = group;
    previousGroup = group;
  }
  // Every group is one contiguous run exactly when there are no more runs than groups.
  const contiguous = runs === ids.length;
  const groupCount = ids.length;
  if (contiguous) {
    const runStarts = new Int32Array(groupCount + 1);
    runStarts.set(firstRollout);
    runStarts[groupCount] = n;
    return { ids, order: null, runStarts };
  }
  // Counting sort by group; stable, so each run keeps batch order.
  const cursor = new Int32Array(groupCount + 1);
  for (let i = 0; i < n; i++) cursor[groupOf[i] + 1]++;
  for (let g = 1; g <= groupCount; g++) cursor[g] += cursor[g - 1];
  const runStarts = cursor.slice();
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[cursor[groupOf[i]]++] = i;
  return { ids, order, runStarts };
}
