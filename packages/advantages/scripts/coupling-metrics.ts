/** Pearson correlation of two equally long samples; NaN when either has no spread. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n !== y.length) throw new Error(`pearson: ${n} x values but ${y.length} y values`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Pooled over groups: corr(A, −T) over the correct rollouts, i.e. how strongly A rewards using fewer tools. */
export function efficiencyCorrelation(
  advantages: ArrayLike<number>,
  correct: readonly boolean[],
  toolCalls: readonly number[],
): number {
  const a: number[] = [];
  const minusT: number[] = [];
  for (let i = 0; i < correct.length; i++) {
    if (!correct[i]) continue;
    a.push(advantages[i]);
    minusT.push(-toolCalls[i]);
  }
  return pearson(a, minusT);
}

/** Row ranges of contiguous groups (the simulated batches keep each group together). */
function runsOf(groupIds: readonly string[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let start = 0; start < groupIds.length; ) {
    let end = start + 1;
    while (end < groupIds.length && groupIds[end] === groupIds[start]) end++;
    runs.push([start, end]);
    start = end;
  }
  return runs;
}

/**
 * Share of within-group (correct, incorrect) pairs where the incorrect rollout's advantage is ≥ the
 * correct one's: how often the signal tells the policy that a wrong answer was at least as good.
 */
export function overriddenPairShare(
  advantages: ArrayLike<number>,
  correct: readonly boolean[],
  groupIds: readonly string[],
): number {
  let pairs = 0;
  let overridden = 0;
  for (const [start, end] of runsOf(groupIds)) {
    for (let i = start; i < end; i++) {
      if (!correct[i]) continue;
      for (let j = start; j < end; j++) {
        if (correct[j]) continue;
        pairs++;
        if (advantages[j] >= advantages[i]) overridden++;
      }
    }
  }
  return pairs === 0 ? 0 : overridden / pairs;
}

/**
 * Share of correct rollouts in mixed groups (some right, some wrong) whose advantage is negative: a
 * correct answer made less likely while a wrong alternative exists.
 */
export function discouragedCorrectShare(
  advantages: ArrayLike<number>,
  correct: readonly boolean[],
  groupIds: readonly string[],
): number {
  let total = 0;
  let discouraged = 0;
  for (const [start, end] of runsOf(groupIds)) {
    let right = 0;
    for (let i = start; i < end; i++) if (correct[i]) right++;
    if (right === 0 || right === end - start) continue;
    for (let i = start; i < end; i++) {
      if (!correct[i]) continue;
      total++;
      if (advantages[i] < 0) discouraged++;
    }
  }
  return total === 0 ? 0 : discouraged / total;
}
