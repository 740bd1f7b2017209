import { describe, expect, it } from "vitest";
import { type AdvantageRollout, rolloutAdvantages } from "./rollout-advantages";

// One group: two correct rollouts with different T (the tool channel has a signal), one wrong; a second group
// with a single correct rollout (|Q| = 1: no tool signal).
const rollouts: AdvantageRollout[] = [
  { groupId: "a", answerScore: 1, formatScore: 1, toolCalls: 0 },
  { groupId: "a", answerScore: 1, formatScore: 1, toolCalls: 2 },
  { groupId: "a", answerScore: 0, formatScore: 1, toolCalls: 1 },
  { groupId: "b", answerScore: 1, formatScore: 1, toolCalls: 1 },
  { groupId: "b", answerScore: 0, formatScore: 0, toolCalls: 3 },
];

describe("rolloutAdvantages", () => {
  it("hdpo: the tool channel is zero for wrong rollouts and for groups with |Q| < 2", () => {
    const { accuracy, tool, stats, toolWeight } = rolloutAdvantages(rollouts, "hdpo", 0.15);
    expect(toolWeight).toBe(0.15);
    expect(tool[0]).toBeGreaterThan(0); // fewer calls, better
    expect(tool[1]).toBeLessThan(0);
    expect([tool[2], tool[3], tool[4]]).toEqual([0, 0, 0]);
    expect(accuracy[2]).toBeLessThan(0);
    expect(stats.groupsWithQualifyingPair).toBe(1);
    expect(stats.qualifyingRatio).toBeCloseTo(2 / 5);
  });

  it("grpo: same accuracy channel, tool channel and weight off", () => {
    const hdpo = rolloutAdvantages(rollouts, "hdpo", 0.15);
    const grpo = rolloutAdvantages(rollouts, "grpo", 0.15);
    expect([...grpo.accuracy]).toEqual([...hdpo.accuracy]);
    expect([...grpo.tool]).toEqual([0, 0, 0, 0, 0]);
    expect(grpo.toolWeight).toBe(0);
  });

  it("coupled: the penalty changes the accuracy channel, the tool channel stays off", () => {
    const coupled = rolloutAdvantages(rollouts, { coupled: "per-call-penalty", alpha: 0.1 }, 0.15);
    const grpo = rolloutAdvantages(rollouts, "grpo", 0.15);
    expect(coupled.accuracy[0]).toBeGreaterThan(grpo.accuracy[0]!);
    expect([...coupled.tool]).toEqual([0, 0, 0, 0, 0]);
    expect(coupled.toolWeight).toBe(0);
  });
});
