import type { SequenceBatch } from "@hdpo/policy";
import type { TokenSequence } from "./token-sequence";

/** Row-major `[rows, width]` values, zero-padded on the right. */
export interface PaddedMatrix {
  data: Float32Array;
  rows: number;
  width: number;
}

/** The model's view of sequences: whole sequences and where each response starts. */
export function sequenceBatch(sequences: readonly TokenSequence[]): SequenceBatch {
  return {
    sequences: sequences.map((s) => [...s.promptIds, ...s.ids]),
    promptLengths: sequences.map((s) => s.promptIds.length),
  };
}

/** Per-token values aligned with the responses, padded to the longest response (`sequenceLogProbs`' columns). */
export function padResponses(rows: readonly ArrayLike<number>[]): PaddedMatrix {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, b) => {
    for (let j = 0; j < row.length; j++) data[b * width + j] = row[j]!;
  });
  return { data, rows: rows.length, width };
}
