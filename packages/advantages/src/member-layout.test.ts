import { describe, expect, it } from "vitest";
import { indexGroups } from "./group-index";
import { layoutMembers } from "./member-layout";

describe("layoutMembers", () => {
  const mask = Uint8Array.from([1, 0, 1, 1, 0, 1]);

  it("without a mask is the group index itself", () => {
    const index = indexGroups(["a", "a", "b"]);
    const layout = layoutMembers(index, null);
    expect(layout.order).toBeNull();
    expect(layout.starts).toBe(index.runStarts);
  });

  it("keeps only masked members of contiguous runs, in batch order", () => {
    const layout = layoutMembers(indexGroups(["a", "a", "a", "b", "b", "b"]), mask);
    expect([...layout.order!.subarray(0, layout.starts[2])]).toEqual([0, 2, 3, 5]);
    expect([...layout.starts]).toEqual([0, 2, 4]);
  });

  it("keeps only masked members of interleaved groups, in batch order", () => {
    const layout = layoutMembers(indexGroups(["a", "b", "a", "b", "a", "b"]), mask);
    // a = rows 0, 2, 4 → members 0, 2; b = rows 1, 3, 5 → members 3, 5
    expect([...layout.order!.subarray(0, layout.starts[2])]).toEqual([0, 2, 3, 5]);
    expect([...layout.starts]).toEqual([0, 2, 4]);
  });

  it("gives an empty run to a group without members", () => {
    const layout = layoutMembers(indexGroups(["a", "b", "b"]), Uint8Array.from([0, 1, 1]));
    expect([...layout.starts]).toEqual([0, 0, 2]);
  });
});
