import { deriveSeed, Prng } from "@hdpo/policy";
import { TrainerError } from "./trainer-error";

/**
 * The examples of SFT step `step`: epochs are seeded permutations of the data, taken `batchSize` at a time
 * (wrapping into the next epoch), so the batch depends only on (seed, step) and a resumed run needs no cursor.
 */
export function sftBatch<T>(examples: readonly T[], batchSize: number, seed: number, step: number): T[] {
  if (examples.length === 0)
    throw new TrainerError("sftBatch: there are no examples; run the cold start first.");
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new TrainerError(`sftBatch: batchSize must be a positive integer, got ${String(batchSize)}.`);
  }
  const n = examples.length;
  const batch: T[] = [];
  for (let k = 0; k < batchSize; k++) {
    const position = step * batchSize + k;
    const epoch = Math.floor(position / n);
    batch.push(examples[permutation(n, deriveSeed(seed, epoch))[position % n]!]!);
  }
  return batch;
}

const cache = new Map<string, number[]>();

/** A seeded Fisher-Yates permutation of 0 … n−1 (memoised: each epoch's order is reused by its batches). */
function permutation(n: number, seed: number): number[] {
  const key = `${n}:${seed}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const prng = new Prng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(prng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  if (cache.size > 64) cache.clear();
  cache.set(key, order);
  return order;
}
