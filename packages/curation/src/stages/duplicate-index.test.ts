import { describe, expect, it } from "vitest";
import { DuplicateIndex } from "./duplicate-index";
import { minhash, signatureSimilarity } from "./text-fingerprint";

const template = (i: number) =>
  `Question ${i}: a farmer has ${i} sheep and buys some more sheep at the market, how many now?`;

describe("DuplicateIndex", () => {
  it("finds the earliest earlier row, whatever order rows were added in (as a resumed run adds them)", () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ i, text: template(i % 40), exact: `e${i}` }));
    const inOrder = new DuplicateIndex({ nearThreshold: 0.7 });
    const shuffled = new DuplicateIndex({ nearThreshold: 0.7 });
    for (const row of rows) inOrder.add(row.i, row.exact, minhash(row.text), 1);
    for (const row of [...rows].reverse()) shuffled.add(row.i, row.exact, minhash(row.text), 1);
    for (const row of rows) {
      const signature = minhash(row.text);
      expect(shuffled.find(row.i, row.exact, signature, 1)).toEqual(
        inOrder.find(row.i, row.exact, signature, 1),
      );
    }
    // Row 45 repeats row 5's text: it matches row 5 (or an even earlier near copy), never a later row.
    const match = inOrder.find(45, "e45", minhash(template(5)), 1);
    expect(match?.kind).toBe("near");
    expect(match!.of).toBeLessThan(45);
    expect(inOrder.find(0, "e0", minhash(template(0)), 1)).toBeUndefined();
  });

  it("needs the same anchor (images and answer) for a near duplicate, and the exact digest for an exact one", () => {
    const index = new DuplicateIndex();
    const long =
      "Looking at the parked vehicles along the street in the photo, what is the colour of the small car";
    index.add(0, "same", minhash(`${long} on the left?`), 7);
    expect(index.find(1, "same", minhash("anything"), 7)).toEqual({ kind: "exact", of: 0 });
    expect(index.find(1, "other", minhash(`${long} at the left?`), 7)).toEqual({
      kind: "near",
      of: 0,
      similarity: 0.9,
    });
    expect(index.find(1, "other", minhash(`${long} at the left?`), 8)).toBeUndefined();
  });

  it("estimates similarity from MinHash signatures", () => {
    const a = minhash("the quick brown fox jumps over the lazy dog near the river bank today");
    expect(
      signatureSimilarity(
        a,
        minhash("The quick brown fox jumps over the lazy dog, near the river bank today!"),
      ),
    ).toBe(1);
    expect(
      signatureSimilarity(a, minhash("completely unrelated sentence about quantum chromodynamics")),
    ).toBeLessThan(0.3);
  });
});
