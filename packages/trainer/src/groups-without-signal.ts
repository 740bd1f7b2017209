import type { AdvantageMode } from "./trainer-config";

/** What dynamic sampling needs to know of one rollout. */
export interface GroupMember {
  groupId: string | number;
  correct: boolean;
  toolCalls: number;
}

/** Which rollouts a method's tool term rewards: none, correct ones only (HDPO, gated coupling), or all. */
export type ToolTermScope = "none" | "correct" | "all";

/** The scope of the tool term of `advantage` (with `wTool`, HDPO's weight). */
export function toolTermScope(advantage: AdvantageMode, wTool: number): ToolTermScope {
  if (advantage === "grpo") return "none";
  if (advantage === "hdpo") return wTool > 0 ? "correct" : "none";
  if (advantage.alpha === 0) return "none";
  return advantage.coupled === "additive-gated" ? "correct" : "all";
}

/**
 * The groups dynamic sampling skips: those whose rollouts carry no signal about the answer or the tools. DAPO skips
 * groups that are all right or all wrong, where GRPO's advantage is zero but for the format term: in an all-wrong
 * group `r_acc = 0.1·r_fmt`, and the group's normalisation turns format noise into unit-sized advantages. Under
 * HDPO an all-right group can still teach tool efficiency (the tool channel compares the tool counts of correct
 * rollouts), so it is kept when its tool counts differ and the method's tool term rewards correct rollouts; an
 * all-wrong group is kept only when a tool term applies to wrong rollouts too (the ungated couplings) and its tool
 * counts differ.
 */
export function groupsWithoutSignal(
  members: readonly GroupMember[],
  scope: ToolTermScope,
): Set<string | number> {
  const groups = new Map<string | number, GroupMember[]>();
  for (const member of members) {
    const list = groups.get(member.groupId);
    if (list === undefined) groups.set(member.groupId, [member]);
    else list.push(member);
  }
  const skipped = new Set<string | number>();
  for (const [groupId, list] of groups) {
    const correct = list.filter((m) => m.correct).length;
    if (correct > 0 && correct < list.length) continue;
    const toolCountsDiffer = list.some((m) => m.toolCalls !== list[0]!.toolCalls);
    const toolSignal = toolCountsDiffer && (scope === "all" || (scope === "correct" && correct > 0));
    if (!toolSignal) skipped.add(groupId);
  }
  return skipped;
}
