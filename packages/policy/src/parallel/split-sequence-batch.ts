import type { SequenceBatch } from "../model/log-probs";
import { PolicyError } from "../policy-error";

/** A batch cut into shards for data parallelism, with the global normaliser their losses share. */
export interface ShardedBatch<Shard> {
  shards: Shard[];
  /** What every shard's loss divides by (for a token-mean loss: the whole batch's loss-token count). */
  normaliser: number;
}

/**
 * Cuts a batch into at most `parts` shards of consecutive rows whose sizes differ by at most one row (the
 * first shards take the extra rows), with the normaliser of a token-mean loss: the batch's response-token
 * count. Fewer shards than `parts` when the batch has fewer rows.
 */
export function splitSequenceBatch(batch: SequenceBatch, parts: number): ShardedBatch<SequenceBatch> {
  const rows = batch.sequences.length;
  if (!Number.isInteger(parts) || parts < 1) {
    throw new PolicyError(`splitSequenceBatch: parts must be a positive integer, got ${parts}`);
  }
  if (rows === 0) throw new PolicyError("splitSequenceBatch: the batch is empty; pass at least one sequence");
  if (batch.promptLengths.length !== rows) {
    throw new PolicyError(
      `splitSequenceBatch: got ${batch.promptLengths.length} prompt lengths for ${rows} sequences; pass one per sequence`,
    );
  }
  let normaliser = 0;
  batch.sequences.forEach((sequence, b) => {
    normaliser += Math.max(0, sequence.length - batch.promptLengths[b]!);
  });
  if (normaliser === 0) {
    throw new PolicyError("splitSequenceBatch: no sequence has a response token after its prompt");
  }
  const count = Math.min(parts, rows);
  const shards: SequenceBatch[] = [];
  let start = 0;
  for (let s = 0; s < count; s++) {
    const size = Math.floor(rows / count) + (s < rows % count ? 1 : 0);
    shards.push({
      sequences: batch.sequences.slice(start, start + size),
      promptLengths: batch.promptLengths.slice(start, start + size),
    });
    start += size;
  }
  return { shards, normaliser };
}
