import type { CheckpointWeight } from "./checkpoint-weight";

/** Names of the weights holding NaN or ±Infinity, each with how many such values. */
export function findNonFinite(weights: ReadonlyMap<string, CheckpointWeight>): string[] {
  const found: string[] = [];
  for (const [name, { data }] of weights) {
    let count = 0;
    for (let i = 0; i < data.length; i++) {
      // x - x is 0 for finite x and NaN for NaN and ±Infinity: one comparison per value.
      const x = data[i]!;
      if (x - x !== 0) count++;
    }
    if (count > 0) found.push(`${name} (${count} value${count === 1 ? "" : "s"})`);
  }
  return found;
}
