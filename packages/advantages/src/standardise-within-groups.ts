import { AdvantagesError } from "./advantages-error";
import type { GroupIndex } from "./group-index";
import { layoutMembers } from "./member-layout";
import type { ResolvedAdvantageOptions } from "./options";

/**
 * What happens to a group with fewer than two members:
 * - `"unit"`: GRPO's rule — mean 0, std 1, so a lone rollout gets `r/(1 + ε)` (or `r` unnormalised);
 * - `"zero"`: conditional GRPO's rule — every advantage of the group is 0.
 */
export type SmallGroupRule = "unit" | "zero";

/** Per-rollout advantages plus the per-group figures that batch statistics are made of. */
export interface GroupStandardisation {
  readonly advantages: Float64Array;
  /** Members per dense group (all its rollouts, or only those selected by the mask). */
  readonly members: Int32Array;
  /** Σ (r − mean)² over each group's members; exactly 0 when they are all equal. */
  readonly sumSquares: Float64Array;
  /** Rollouts whose advantage is not exactly 0 (ρ's numerator for the tool channel). */
  readonly nonZero: number;
}

/**
 * `(r − mean)/(std + ε)` within each group, unbiased std, over the rollouts selected by `mask`
 * (all when null); unselected rollouts get 0. The members of each group are first laid out side by
 * side, so the moments are two plain passes over a short contiguous run (mean first, then squared
 * deviations from it) and no per-rollout branch depends on the data.
 *
 * The mean is taken relative to the group's first member (`pivot + Σ(r − pivot)/n`): when all members
 * are equal every term is exactly 0, so the mean is exactly the common value and every advantage an
 * exact 0. A plain `Σr/n` can be off by an ulp (three copies of 0.1 sum to 0.30000000000000004), and
 * dividing that ulp by std + ε ≈ 1e-6 would leave spurious ±1e-11 advantages and inflate ρ.
 */
export function standardiseWithinGroups(
  values: Float64Array,
  groups: GroupIndex,
  mask: Uint8Array | null,
  smallGroups: SmallGroupRule,
  options: ResolvedAdvantageOptions,
): GroupStandardisation {
  const { order, starts } = layoutMembers(groups, mask);
  const groupCount = groups.ids.length;
  const members = new Int32Array(groupCount);
  const sumSquares = new Float64Array(groupCount);
  const advantages = new Float64Array(values.length);
  const memberValues = order === null ? values : gather(values, order, starts[groupCount]);
  let nonZero = 0;

  for (let g = 0; g < groupCount; g++) {
    const start = starts[g];
    const end = starts[g + 1];
    const m = end - start;
    if (m === 0) continue;
    const pivot = memberValues[start];
    let shifted = 0;
    for (let j = start + 1; j < end; j++) shifted += memberValues[j] - pivot;
    const groupMean = pivot + shifted / m;
    let ss = 0;
    for (let j = start; j < end; j++) {
      const d = memberValues[j] - groupMean;
      ss += d * d;
    }
    members[g] = m;
    sumSquares[g] = ss;

    const divisor = divisorOf(m, ss, smallGroups, options);
    // A finite Σd² also bounds every r − mean, so the unnormalised advantages cannot overflow either.
    if (!Number.isFinite(groupMean) || !Number.isFinite(ss) || !Number.isFinite(divisor)) {
      throw overflowed(groups.ids[g]);
    }
    if (divisor === 0) continue;
    const mean = m === 1 ? 0 : groupMean;
    if (order === null) {
      for (let j = start; j < end; j++) {
        const a = (memberValues[j] - mean) / divisor;
        advantages[j] = a;
        nonZero += Number(a !== 0);
      }
    } else {
      for (let j = start; j < end; j++) {
        const a = (memberValues[j] - mean) / divisor;
        advantages[order[j]] = a;
        nonZero += Number(a !== 0);
      }
    }
  }
  return { advantages, members, sumSquares, nonZero };
}

/**
 * What a group's centred rewards are divided by: std + ε (or 1 unnormalised, which is exact) for ≥ 2
 * members; for one member, 1 + ε under GRPO's rule (its mean is then taken as 0); 0 to mean "every
 * advantage of this group stays 0".
 */
function divisorOf(
  members: number,
  sumSquares: number,
  smallGroups: SmallGroupRule,
  { epsilon, normalizeByStd }: ResolvedAdvantageOptions,
): number {
  if (members >= 2) return normalizeByStd ? Math.sqrt(sumSquares / (members - 1)) + epsilon : 1;
  if (smallGroups === "unit") return normalizeByStd ? 1 + epsilon : 1;
  return 0;
}

function gather(values: Float64Array, order: Int32Array, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let j = 0; j < count; j++) out[j] = values[order[j]];
  return out;
}

function overflowed(id: unknown): AdvantagesError {
  return new AdvantagesError(
    `the rewards of group ${JSON.stringify(id)} are too large to standardise in float64 ` +
      `(their mean or std overflowed); rescale the rewards to a sane range (|r| well below 1e150).`,
  );
}
