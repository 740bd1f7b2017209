import { describe, expect, it } from "vitest";
import { BalancedLabels } from "./balanced-labels";
import { SeededRandom } from "./seeded-random";

describe("BalancedLabels", () => {
  it("deals every label once per round, in an order that varies between rounds", () => {
    const labels = new BalancedLabels(new SeededRandom(1));
    const rounds: string[][] = [];
    for (let round = 0; round < 20; round++) {
      rounds.push(["A", "B", "C"].map(() => labels.next("choice", ["A", "B", "C"] as const)));
      labels.keep();
    }
    for (const round of rounds) expect([...round].sort()).toEqual(["A", "B", "C"]);
    expect(new Set(rounds.map((round) => round.join(""))).size).toBeGreaterThan(1);
  });

  it("keeps separate rounds per key", () => {
    const labels = new BalancedLabels(new SeededRandom(2));
    const yesNo = [labels.next("compare", ["yes", "no"]), labels.next("choice", ["A", "B", "C"])];
    yesNo.push(labels.next("compare", ["yes", "no"]));
    expect([yesNo[0], yesNo[2]].sort()).toEqual(["no", "yes"]);
  });

  it("puts the labels of a rejected draw back, so only kept draws count", () => {
    const labels = new BalancedLabels(new SeededRandom(3));
    const kept: string[] = [];
    for (let draw = 0; draw < 40; draw++) {
      const label = labels.next("compare", ["yes", "no"]);
      if (draw % 3 === 0) labels.giveBack();
      else {
        kept.push(label);
        labels.keep();
      }
    }
    const yes = kept.filter((label) => label === "yes").length;
    expect(Math.abs(yes - (kept.length - yes))).toBeLessThanOrEqual(1);
  });

  it("refuses a key dealt with other labels than before", () => {
    const labels = new BalancedLabels(new SeededRandom(4));
    labels.next("k", ["yes", "no"]);
    expect(() => labels.next("k", ["A", "B", "C"])).toThrow(/other labels/);
  });
});
