import type { AggMode } from "./options";

/**
 * The weight of every token in the aggregated loss, in float64: every mode is linear in the per-token losses,
 * `loss = Σ_bt weight[b][t] · tokenLoss[b][t]`, so the same weights give its gradient. Masked tokens
 * weigh 0; an empty mask gives all-zero weights (a loss of 0, never 0/0).
 */
export function aggregationWeightsReference(
  mask: readonly Float64Array[],
  columns: number,
  mode: AggMode,
): Float64Array[] {
  const rowTokens = mask.map((row) => row.reduce((sum, value) => sum + value, 0));
  const totalTokens = rowTokens.reduce((sum, count) => sum + count, 0);
  const rowsWithTokens = rowTokens.filter((count) => count > 0).length;
  return mask.map((row, b) => {
    const perToken = tokenWeight(mode, { totalTokens, rowsWithTokens, rowTokens: rowTokens[b]!, columns });
    return row.map((value) => value * perToken);
  });
}

function tokenWeight(
  mode: AggMode,
  counts: { totalTokens: number; rowsWithTokens: number; rowTokens: number; columns: number },
): number {
  switch (mode) {
    case "token-mean":
      return 1 / Math.max(counts.totalTokens, 1);
    case "seq-mean-token-sum":
      return 1 / Math.max(counts.rowsWithTokens, 1);
    case "seq-mean-token-mean":
      return 1 / (Math.max(counts.rowTokens, 1) * Math.max(counts.rowsWithTokens, 1));
    case "seq-mean-token-sum-norm":
      return 1 / counts.columns;
  }
}
