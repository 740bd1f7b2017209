import type { GroupId } from "./group-index";

/*
 * A line-by-line JavaScript port of the reference's per-sample loop (verl's
 * compute_grpo_outcome_advantage): a dict of lists per group id, then a per-group mean/std, then a
 * per-sample loop; the tool advantage is the same loop restricted to r_tool > 0, with the rules of
 * spec/hdpo-math.md ("Tool advantage"). Not exported from the
 * package: it is the baseline of the benchmark (so the speedup is measured) and an independent oracle for
 * the property tests. It keeps the reference's plain Σr/n mean, so unlike the package it can leave
 * ±1e-11 residues on groups of equal values; compare with a tolerance.
 */

/** GRPO as the reference loop computes it, on plain arrays. */
export function referenceGrpoLoop(
  scores: readonly number[],
  index: readonly GroupId[],
  epsilon = 1e-6,
  normAdvByStd = true,
): number[] {
  const id2score = new Map<GroupId, number[]>();
  const id2mean = new Map<GroupId, number>();
  const id2std = new Map<GroupId, number>();
  const bsz = scores.length;
  for (let i = 0; i < bsz; i++) {
    const list = id2score.get(index[i]);
    if (list === undefined) id2score.set(index[i], [scores[i]]);
    else list.push(scores[i]);
  }
  for (const [idx, list] of id2score) {
    if (list.length === 1) {
      id2mean.set(idx, 0);
      id2std.set(idx, 1);
    } else {
      id2mean.set(idx, torchMean(list));
      id2std.set(idx, torchStd(list));
    }
  }
  const out = scores.slice();
  for (let i = 0; i < bsz; i++) {
    const idx = index[i];
    out[i] = normAdvByStd
      ? (scores[i] - id2mean.get(idx)!) / (id2std.get(idx)! + epsilon)
      : scores[i] - id2mean.get(idx)!;
  }
  return out;
}

/**
 * The tool advantage as the reference computes it: the same loop over only the rollouts with
 * r_tool > 0, groups with fewer than two of them left at 0, results scattered back to batch order.
 */
export function referenceToolAdvantageLoop(
  toolRewards: readonly number[],
  index: readonly GroupId[],
  epsilon = 1e-6,
  normAdvByStd = true,
): number[] {
  const id2score = new Map<GroupId, number[]>();
  const id2rows = new Map<GroupId, number[]>();
  const bsz = toolRewards.length;
  for (let i = 0; i < bsz; i++) {
    if (!(toolRewards[i] > 0)) continue;
    const list = id2score.get(index[i]);
    if (list === undefined) {
      id2score.set(index[i], [toolRewards[i]]);
      id2rows.set(index[i], [i]);
    } else {
      list.push(toolRewards[i]);
      id2rows.get(index[i])!.push(i);
    }
  }
  const out = new Array<number>(bsz).fill(0);
  for (const [idx, list] of id2score) {
    if (list.length < 2) continue;
    const mean = torchMean(list);
    const std = torchStd(list);
    const rows = id2rows.get(idx)!;
    for (let k = 0; k < rows.length; k++) {
      out[rows[k]] = normAdvByStd ? (list[k] - mean) / (std + epsilon) : list[k] - mean;
    }
  }
  return out;
}

/** Both HDPO advantages through the reference loops (the benchmark's baseline for `hdpoAdvantages`). */
export function referenceHdpoLoop(
  accuracyRewards: readonly number[],
  toolRewards: readonly number[],
  index: readonly GroupId[],
  epsilon = 1e-6,
): { accuracy: number[]; tool: number[] } {
  return {
    accuracy: referenceGrpoLoop(accuracyRewards, index, epsilon),
    tool: referenceToolAdvantageLoop(toolRewards, index, epsilon),
  };
}

function torchMean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** torch.std's default: the unbiased (n − 1) estimate around the mean. */
function torchStd(values: readonly number[]): number {
  const mean = torchMean(values);
  let sumSquares = 0;
  for (const v of values) sumSquares += (v - mean) * (v - mean);
  return Math.sqrt(sumSquares / (values.length - 1));
}
