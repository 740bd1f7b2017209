import { describe, expect, it } from "vitest";
import { expectAllClose } from "./assert-close";
import { referenceGrpoLoop, referenceToolAdvantageLoop } from "./reference-port";

// The port is the benchmark's baseline and an oracle for the property tests, so it is checked against
// the same hand-computed values as the package.
describe("reference port", () => {
  it("GRPO loop: unbiased std, ε on the std, size-1 groups r/(1+ε)", () => {
    expectAllClose(
      referenceGrpoLoop([1, 0, 0, 1, 0.7], ["p", "p", "p", "p", "s"]),
      [0.8660239037870368, -0.8660239037870368, -0.8660239037870368, 0.8660239037870368, 0.6999993000007],
    );
    expectAllClose(referenceGrpoLoop([1, 0, 0], [1, 1, 1], 1e-6, false), [2 / 3, -1 / 3, -1 / 3], 1e-15);
  });

  it("tool loop: Q = r_tool > 0, |Q| ≤ 1 gives 0", () => {
    expectAllClose(
      referenceToolAdvantageLoop([1, 0, 0.5, 0.25, 0], ["p", "p", "p", "p", "s"]),
      [1.0910865940445866, 0, -0.21821731880891743, -0.8728692752356695, 0],
    );
    expect(referenceToolAdvantageLoop([0.5, 0], ["p", "p"])).toEqual([0, 0]);
  });

  it("keeps the reference's Σr/n mean, which can leave a residue on equal values", () => {
    const residue = referenceGrpoLoop([0.1, 0.1, 0.1], ["g", "g", "g"]);
    expect(residue.some((a) => a !== 0)).toBe(true);
    expectAllClose(residue, [0, 0, 0], 1e-9);
  });
});
