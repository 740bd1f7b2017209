import { describe, expect, it } from "vitest";
import { type GroupMember, groupsWithoutSignal, toolTermScope } from "./groups-without-signal";

const group = (groupId: string, members: [correct: boolean, toolCalls: number][]): GroupMember[] =>
  members.map(([correct, toolCalls]) => ({ groupId, correct, toolCalls }));

const members = [
  ...group("mixed", [
    [true, 0],
    [false, 1],
  ]),
  ...group("all-wrong-same-tools", [
    [false, 1],
    [false, 1],
  ]),
  ...group("all-wrong-tools-differ", [
    [false, 0],
    [false, 2],
  ]),
  ...group("all-right-same-tools", [
    [true, 1],
    [true, 1],
  ]),
  ...group("all-right-tools-differ", [
    [true, 0],
    [true, 1],
  ]),
];

describe("groupsWithoutSignal", () => {
  it("GRPO (no tool term) skips every uniform group, as DAPO does", () => {
    expect(groupsWithoutSignal(members, "none")).toEqual(
      new Set([
        "all-wrong-same-tools",
        "all-wrong-tools-differ",
        "all-right-same-tools",
        "all-right-tools-differ",
      ]),
    );
  });

  it("HDPO keeps an all-right group whose tool counts differ: the tool channel learns from it", () => {
    expect(groupsWithoutSignal(members, "correct")).toEqual(
      new Set(["all-wrong-same-tools", "all-wrong-tools-differ", "all-right-same-tools"]),
    );
  });

  it("an ungated coupling also keeps an all-wrong group whose tool counts differ", () => {
    expect(groupsWithoutSignal(members, "all")).toEqual(
      new Set(["all-wrong-same-tools", "all-right-same-tools"]),
    );
  });

  it("never skips a group with both right and wrong rollouts", () => {
    for (const scope of ["none", "correct", "all"] as const) {
      expect(groupsWithoutSignal(members, scope).has("mixed")).toBe(false);
    }
  });
});

describe("toolTermScope", () => {
  it("names which rollouts each method's tool term rewards", () => {
    expect(toolTermScope("grpo", 0.15)).toBe("none");
    expect(toolTermScope("hdpo", 0.15)).toBe("correct");
    expect(toolTermScope("hdpo", 0)).toBe("none");
    expect(toolTermScope({ coupled: "additive-gated", alpha: 0.05 }, 0)).toBe("correct");
    expect(toolTermScope({ coupled: "additive-ungated", alpha: 0.05 }, 0)).toBe("all");
    expect(toolTermScope({ coupled: "per-call-penalty", alpha: 0.3 }, 0)).toBe("all");
    expect(toolTermScope({ coupled: "per-call-penalty", alpha: 0 }, 0)).toBe("none");
  });
});
