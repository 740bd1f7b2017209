import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { splitSequenceBatch } from "./split-sequence-batch";

describe("splitSequenceBatch", () => {
  const batch = {
    sequences: [
      [1, 2, 3],
      [4, 5],
      [6, 7, 8, 9],
      [10, 11],
      [12, 13, 14],
    ],
    promptLengths: [1, 1, 2, 2, 3],
  };

  it("cuts consecutive rows into shards differing by at most one row, first shards larger", () => {
    const { shards, normaliser } = splitSequenceBatch(batch, 2);
    expect(shards.map((s) => s.sequences)).toEqual([batch.sequences.slice(0, 3), batch.sequences.slice(3)]);
    expect(shards.map((s) => s.promptLengths)).toEqual([
      [1, 1, 2],
      [2, 3],
    ]);
    // Response tokens: 2 + 1 + 2 + 0 + 0.
    expect(normaliser).toBe(5);
  });

  it("makes no more shards than rows", () => {
    const { shards } = splitSequenceBatch(batch, 8);
    expect(shards).toHaveLength(5);
    expect(shards.map((s) => s.sequences.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it("refuses a batch without response tokens and a bad part count", () => {
    expect(() => splitSequenceBatch({ sequences: [[1, 2]], promptLengths: [2] }, 2)).toThrow(PolicyError);
    expect(() => splitSequenceBatch(batch, 0)).toThrow(/positive integer/);
    expect(() => splitSequenceBatch({ sequences: [], promptLengths: [] }, 2)).toThrow(/empty/);
  });
});
