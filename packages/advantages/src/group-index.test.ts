import { describe, expect, it } from "vitest";
import { indexGroups } from "./group-index";

describe("indexGroups", () => {
  it("keeps a contiguous batch as it is (order null) with one run per group", () => {
    const index = indexGroups(["a", "a", "b", 1, 1, 1]);
    expect(index.ids).toEqual(["a", "b", 1]);
    expect(index.order).toBeNull();
    expect([...index.runStarts]).toEqual([0, 2, 3, 6]);
  });

  it("sorts interleaved ids into runs, stably, numbering groups by first appearance", () => {
    const index = indexGroups(["x", 1, "x", "1", 1, "x"]);
    expect(index.ids).toEqual(["x", 1, "1"]);
    expect([...index.order!]).toEqual([0, 2, 5, 1, 4, 3]);
    expect([...index.runStarts]).toEqual([0, 3, 5, 6]);
  });

  it("treats a group that comes back after another as interleaved", () => {
    const index = indexGroups(["a", "b", "a"]);
    expect([...index.order!]).toEqual([0, 2, 1]);
    expect([...index.runStarts]).toEqual([0, 2, 3]);
  });

  it("groups a round-robin layout (rollout k of every prompt, then k + 1) and a change of period", () => {
    // period 3 for six rollouts, then period 2 (c is gone), then a stray "a"
    const ids = ["a", "b", "c", "a", "b", "c", "a", "b", "a", "b", "a"];
    const index = indexGroups(ids);
    expect(index.ids).toEqual(["a", "b", "c"]);
    expect([...index.order!]).toEqual([0, 3, 6, 8, 10, 1, 4, 7, 9, 2, 5]);
    expect([...index.runStarts]).toEqual([0, 5, 9, 11]);
  });

  it("does not mistake equal-looking ids of different types for one group", () => {
    const index = indexGroups([1, "1", 1, "1"]);
    expect(index.ids).toEqual([1, "1"]);
    expect([...index.order!]).toEqual([0, 2, 1, 3]);
  });

  it("handles an empty batch", () => {
    const index = indexGroups([]);
    expect(index.ids).toEqual([]);
    expect([...index.runStarts]).toEqual([0]);
  });
});
