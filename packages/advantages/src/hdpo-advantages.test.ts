import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdvantagesError } from "./advantages-error";
import { expectAllClose } from "./assert-close";
import { conditionalGrpoAdvantages } from "./conditional-grpo-advantages";
import type { GroupId } from "./group-index";
import { grpoAdvantages } from "./grpo-advantages";
import { type HdpoAdvantageInput, hdpoAdvantages } from "./hdpo-advantages";
import { referenceGrpoLoop, referenceToolAdvantageLoop } from "./reference-port";

interface Rollout {
  group: GroupId;
  correct: boolean;
  /** tool calls */
  t: number;
  /** format score, 1 unless given */
  format?: number;
}

interface Batch {
  accuracyRewards: number[];
  toolRewards: number[];
  correct: boolean[];
  groupIds: GroupId[];
  toolCalls: number[];
}

/** r_acc = 0.9·answer + 0.1·format, r_tool = 1/(T+1) if correct else 0 (spec "Rewards"). */
function batchOf(rollouts: readonly Rollout[]): Batch {
  return {
    accuracyRewards: rollouts.map((r) => 0.9 * (r.correct ? 1 : 0) + 0.1 * (r.format ?? 1)),
    toolRewards: rollouts.map((r) => (r.correct ? 1 / (r.t + 1) : 0)),
    correct: rollouts.map((r) => r.correct),
    groupIds: rollouts.map((r) => r.group),
    toolCalls: rollouts.map((r) => r.t),
  };
}

const right = (t: number, group: GroupId = "q"): Rollout => ({ group, correct: true, t });
const wrong = (t: number, group: GroupId = "q", format = 1): Rollout => ({
  group,
  correct: false,
  t,
  format,
});

describe("hdpoAdvantages: hand-computed", () => {
  it("all correct: no accuracy signal, tool advantage from T alone", () => {
    // r_acc all 1 → A_acc exactly 0. T = [0, 1, 3] → r_tool = [1, 1/2, 1/4]: mean 7/12,
    // std = √21/12 = 0.38188130791298663 → A_tool = [1.0910865940445866, −0.21821731880891743, −0.8728692752356695]
    const { accuracy, tool, stats } = hdpoAdvantages(batchOf([right(0), right(1), right(3)]));
    for (const a of accuracy) expect(Object.is(a, 0)).toBe(true);
    expectAllClose(tool, [1.0910865940445866, -0.21821731880891743, -0.8728692752356695]);
    expect(stats).toMatchObject({
      groups: 1,
      allCorrectGroups: 1,
      noneCorrectGroups: 0,
      zeroAccuracyVarianceGroups: 1,
      groupsWithQualifyingPair: 1,
      qualifyingRollouts: 3,
      qualifyingRatio: 1,
      accuracy: 1,
    });
    expectAllClose([stats.meanToolCalls!, stats.toolUseRate!], [4 / 3, 2 / 3]);
  });

  it("all wrong: tool advantage all 0; accuracy advantage only from the format score", () => {
    // r_acc = [0.1, 0, 0.1, 0] (format 1, 0, 1, 0): mean 0.05, std = √(0.01/3) = 0.05773502691896258
    // A_acc = ±0.05/(0.05773502691896258 + 1e-6) = ±0.8660104040442417
    const { accuracy, tool, stats } = hdpoAdvantages(
      batchOf([wrong(0), wrong(1, "q", 0), wrong(2), wrong(0, "q", 0)]),
    );
    expectAllClose(
      accuracy,
      [0.8660104040442417, -0.8660104040442417, 0.8660104040442417, -0.8660104040442417],
    );
    expect([...tool]).toEqual([0, 0, 0, 0]);
    expect(stats).toMatchObject({
      noneCorrectGroups: 1,
      groupsWithQualifyingPair: 0,
      qualifyingRatio: 0,
      accuracy: 0,
    });
  });

  it("exactly one correct: accuracy rewards it, tool advantage all 0", () => {
    // r_acc = [1, 0.1, 0.1, 0.1]: mean 0.325, deviations [0.675, −0.225 ×3], Σd² = 0.6075, var 0.2025, std 0.45
    // A_acc = [0.675/0.450001, −0.225/0.450001 ×3] = [1.499996666674074, −0.4999988888913582 ×3]
    const { accuracy, tool, stats } = hdpoAdvantages(batchOf([right(2), wrong(0), wrong(1), wrong(3)]));
    expectAllClose(
      accuracy,
      [1.499996666674074, -0.4999988888913582, -0.4999988888913582, -0.4999988888913582],
    );
    expect([...tool]).toEqual([0, 0, 0, 0]);
    expect(stats.groupsWithQualifyingPair).toBe(0);
    expect(stats.qualifyingRatio).toBe(0);
  });

  it("ties in T among the correct: tool advantage exactly 0 (T = 9: r_tool = 0.1, an inexact Σr/n)", () => {
    // (0.1 + 0.1 + 0.1)/3 = 0.10000000000000002 ≠ 0.1, so a plain Σr/n would leave ±1e-11 here.
    const { tool, stats } = hdpoAdvantages(batchOf([right(9), wrong(0), right(9), right(9)]));
    for (const a of tool) expect(Object.is(a, 0)).toBe(true);
    expect(stats.groupsWithQualifyingPair).toBe(1);
    expect(stats.qualifyingRollouts).toBe(0);
  });

  it("a correct rollout with T = 0 is in Q (r_tool = 1), as in the reference", () => {
    // Q = {T=0, T=1}: r_tool = [1, 0.5], mean 0.75, std = √0.125 = 0.3535533905932738
    // A_tool = ±0.25/(0.3535533905932738 + 1e-6) = ±0.7071047811922043
    const { tool } = hdpoAdvantages(batchOf([right(0), wrong(0), right(1)]));
    expectAllClose(tool, [0.7071047811922043, 0, -0.7071047811922043]);
  });

  it("a qualifying rollout exactly at Q's mean gets exactly 0 and is not counted in ρ", () => {
    // T = [0, 1, 3, 3] → r_tool = [1, 1/2, 1/4, 1/4] (all exact in binary): mean exactly 1/2,
    // std = √(0.375/3) = 0.3535533905932738 → A_tool = [1.4142095623844086, 0, −0.7071047811922043 ×2]
    const { tool, stats } = hdpoAdvantages(batchOf([right(0), right(1), right(3), right(3), wrong(5)]));
    expectAllClose(tool, [1.4142095623844086, 0, -0.7071047811922043, -0.7071047811922043, 0]);
    expect(Object.is(tool[1], 0)).toBe(true);
    expect(stats.qualifyingRollouts).toBe(3);
    expect(stats.qualifyingRatio).toBe(3 / 5);
  });

  it("handles interleaved string and numeric ids, and size-1 groups", () => {
    // group "7": rows 0, 3 = right(0), right(1) → A_tool ±0.7071047811922043; r_acc both 1 → A_acc 0
    // group 7: rows 1, 4 = right(1), wrong(0) → |Q| = 1 → A_tool 0;
    //   r_acc [1, 0.1]: mean 0.55, std = √(2·0.45²) = 0.6363961030678927 → A_acc = ±0.45/(0.6363961030678927 + 1e-6)
    // group "solo": row 2 = right(4) alone → A_acc = 1/(1 + 1e-6), A_tool 0 (|Q| = 1)
    const rows = [right(0, "7"), right(1, 7), right(4, "solo"), right(1, "7"), wrong(0, 7)];
    const { accuracy, tool, stats } = hdpoAdvantages(batchOf(rows));
    const accDenominator = Math.sqrt(2 * 0.45 ** 2) + 1e-6;
    expectAllClose(accuracy, [0, 0.45 / accDenominator, 1 / (1 + 1e-6), 0, -0.45 / accDenominator]);
    expectAllClose(tool, [0.7071047811922043, 0, 0, -0.7071047811922043, 0]);
    expect(stats).toMatchObject({
      groups: 3,
      singletonGroups: 1,
      zeroAccuracyVarianceGroups: 1,
      allCorrectGroups: 2,
      groupsWithQualifyingPair: 1,
      correctRollouts: 4,
      qualifyingRollouts: 2,
    });
  });

  it("centres both channels without dividing when normalizeByStd is false", () => {
    // r_acc = [1, 1, 0.1]: mean 0.7 → [0.3, 0.3, −0.6]; Q r_tool = [1, 0.25]: mean 0.625 → [0.375, −0.375]
    const { accuracy, tool } = hdpoAdvantages(batchOf([right(0), right(3), wrong(1)]), {
      normalizeByStd: false,
    });
    expectAllClose(accuracy, [0.3, 0.3, -0.6], 1e-15);
    expectAllClose(tool, [0.375, -0.375, 0], 1e-15);
  });

  it("leaves the tool-use statistics out when toolCalls is not given", () => {
    const { toolCalls: _, ...withoutCalls } = batchOf([right(0), right(1)]);
    const { stats } = hdpoAdvantages(withoutCalls);
    expect("meanToolCalls" in stats).toBe(false);
    expect("toolUseRate" in stats).toBe(false);
  });
});

describe("hdpoAdvantages: correctness flags", () => {
  it("takes correct as a Uint8Array of 1/0 (as @hdpo/rewards returns it) exactly as booleans", () => {
    const batch = batchOf([right(0), right(2), wrong(1), right(1, "r"), right(3, "r"), wrong(0, "r")]);
    const fromBooleans = hdpoAdvantages(batch);
    const fromBytes = hdpoAdvantages({ ...batch, correct: Uint8Array.from(batch.correct, Number) });
    expect(fromBytes.accuracy).toEqual(fromBooleans.accuracy);
    expect(fromBytes.tool).toEqual(fromBooleans.tool);
    expect(fromBytes.stats).toEqual(fromBooleans.stats);
    // Q = {0, 1} in "q" and {3, 4} in "r": both pairs have distinct T, so 4 non-zero tool advantages.
    expect(fromBytes.stats.qualifyingRatio).toBeCloseTo(4 / 6, 12);
  });
});

describe("hdpoAdvantages: errors", () => {
  const good = batchOf([right(0), wrong(1)]);

  it("rejects a tool reward that disagrees with the verdict", () => {
    expect(() => hdpoAdvantages({ ...good, toolRewards: [1, 0.5] })).toThrow(
      /toolRewards\[1\] is 0.5 but correct\[1\] is false; an incorrect rollout must have r_tool = 0/,
    );
    expect(() => hdpoAdvantages({ ...good, toolRewards: [0, 0] })).toThrow(
      /toolRewards\[0\] is 0 but correct\[0\] is true; a correct rollout has r_tool = 1\/\(T\+1\) > 0/,
    );
    expect(() => hdpoAdvantages({ ...good, toolRewards: [1, -0.5] })).toThrow(
      /toolRewards\[1\] is -0.5;.*never negative/,
    );
  });

  it("names the array and index of a bad entry", () => {
    expect(() => hdpoAdvantages({ ...good, accuracyRewards: [1, Number.NaN] })).toThrow(
      /accuracyRewards\[1\] is NaN/,
    );
    expect(() => hdpoAdvantages({ ...good, toolRewards: [Number.POSITIVE_INFINITY, 0] })).toThrow(
      /toolRewards\[0\] is Infinity/,
    );
    expect(() => hdpoAdvantages({ ...good, correct: [true, 0.5] })).toThrow(
      /correct\[1\] is 0.5 \(number\); every entry must be true\/false or 1\/0/,
    );
    expect(() => hdpoAdvantages({ ...good, toolCalls: [0, 1.5] })).toThrow(
      /toolCalls\[1\] is 1.5 \(number\); T counts the tool requests.*non-negative integer/,
    );
    expect(() => hdpoAdvantages({ ...good, toolCalls: [-1, 1] })).toThrow(/toolCalls\[0\] is -1/);
  });

  it("names both lengths on a mismatch", () => {
    expect(() => hdpoAdvantages({ ...good, groupIds: ["q"] })).toThrow(
      /groupIds has 1 entries but accuracyRewards has 2/,
    );
    expect(() => hdpoAdvantages({ ...good, toolCalls: [1, 2, 3] })).toThrow(
      /toolCalls has 3 entries but accuracyRewards has 2/,
    );
  });

  it("rejects an empty batch and a missing input", () => {
    expect(() => hdpoAdvantages(batchOf([]))).toThrow(/the batch is empty/);
    expect(() => hdpoAdvantages(undefined as unknown as HdpoAdvantageInput)).toThrow(AdvantagesError);
    expect(() => hdpoAdvantages({ ...good, correct: undefined as unknown as boolean[] })).toThrow(
      /correct is missing/,
    );
  });
});

const rollouts = fc.array(
  fc.record({
    group: fc.constantFrom<GroupId>("a", "b", "c", 1, 2),
    correct: fc.boolean(),
    t: fc.integer({ min: 0, max: 6 }),
    format: fc.constantFrom(0, 1),
  }),
  { minLength: 1, maxLength: 80 },
);

describe("hdpoAdvantages: properties", () => {
  it("is GRPO of r_acc and conditional GRPO of r_tool over the correct rollouts", () => {
    fc.assert(
      fc.property(rollouts, (rows) => {
        const b = batchOf(rows);
        const { accuracy, tool } = hdpoAdvantages(b);
        expectAllClose(accuracy, grpoAdvantages(b.accuracyRewards, b.groupIds));
        expectAllClose(tool, conditionalGrpoAdvantages(b.toolRewards, b.groupIds, b.correct));
      }),
    );
  });

  it("matches line-by-line ports of the reference loops", () => {
    fc.assert(
      fc.property(rollouts, (rows) => {
        const b = batchOf(rows);
        const { accuracy, tool } = hdpoAdvantages(b);
        expectAllClose(accuracy, referenceGrpoLoop(b.accuracyRewards, b.groupIds));
        expectAllClose(tool, referenceToolAdvantageLoop(b.toolRewards, b.groupIds));
      }),
    );
  });

  it("never gives an incorrect rollout a tool advantage, and ρ counts exactly the non-zero ones", () => {
    fc.assert(
      fc.property(rollouts, (rows) => {
        const { tool, stats } = hdpoAdvantages(batchOf(rows));
        rows.forEach((r, i) => {
          if (!r.correct) expect(tool[i]).toBe(0);
        });
        const nonZero = [...tool].filter((a) => a !== 0).length;
        expect(stats.qualifyingRollouts).toBe(nonZero);
        expect(stats.qualifyingRatio).toBe(nonZero / rows.length);
      }),
    );
  });

  it("orders tool advantages within Q as the reverse of T (equal T, equal advantage)", () => {
    fc.assert(
      fc.property(rollouts, (rows) => {
        const { tool } = hdpoAdvantages(batchOf(rows));
        rows.forEach((r, i) => {
          rows.forEach((s, j) => {
            if (!r.correct || !s.correct || r.group !== s.group) return;
            if (r.t < s.t) expect(tool[i]).toBeGreaterThan(tool[j]);
            if (r.t === s.t) expect(tool[i]).toBe(tool[j]);
          });
        });
      }),
    );
  });

  it("sums both channels to ~0 within each group of ≥ 2 (tool: within Q)", () => {
    fc.assert(
      fc.property(rollouts, (rows) => {
        const { accuracy, tool } = hdpoAdvantages(batchOf(rows));
        for (const group of new Set(rows.map((r) => r.group))) {
          const members = rows.flatMap((r, i) => (r.group === group ? [i] : []));
          if (members.length >= 2)
            expect(Math.abs(members.reduce((s, i) => s + accuracy[i], 0))).toBeLessThan(1e-9);
          expect(Math.abs(members.reduce((s, i) => s + tool[i], 0))).toBeLessThan(1e-9);
        }
      }),
    );
  });

  it("gives the same result whether a batch is laid out contiguously or interleaved", () => {
    fc.assert(
      fc.property(rollouts, (rows) => {
        const order = rows
          .map((_, i) => i)
          .sort((i, j) => String(rows[i].group).localeCompare(String(rows[j].group)) || i - j);
        const interleaved = hdpoAdvantages(batchOf(rows));
        const contiguous = hdpoAdvantages(batchOf(order.map((i) => rows[i])));
        expectAllClose(
          order.map((i) => interleaved.accuracy[i]),
          contiguous.accuracy,
          0,
        );
        expectAllClose(
          order.map((i) => interleaved.tool[i]),
          contiguous.tool,
          0,
        );
        expect(contiguous.stats).toEqual(interleaved.stats);
      }),
    );
  });
});
