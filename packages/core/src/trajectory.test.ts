import { describe, expect, it } from "vitest";
import { TrajectorySchema } from "./trajectory";
import { VerdictSchema } from "./verdict";

const base = {
  id: "traj-1",
  taskId: "t1",
  groupId: "t1",
  rolloutIndex: 0,
  turns: [
    {
      role: "assistant",
      text: '<reason>compute</reason><tool_call>{"name":"python","arguments":{"code":"print(6*7)"}}</tool_call>',
      toolCall: { name: "python", arguments: { code: "print(6*7)" } },
      finishReason: "tool-call",
    },
    {
      role: "observation",
      text: "Code execution result:\nstdout:\n```\n42\n```",
      valid: true,
      toolName: "python",
    },
    { role: "assistant", text: "<reason>done</reason><answer>42</answer>", finishReason: "stop" },
  ],
  finalText: "…",
  answer: "42",
  toolCalls: 1,
  toolCallsByName: { python: 1 },
  invalidToolCalls: 0,
  finishReason: "answer",
  timings: { startedAt: "2026-11-21T00:00:00.000Z", totalMs: 12, generationMs: 10, toolMs: 2 },
  usage: { promptTokens: 40, completionTokens: 20, observationTokens: 9 },
};

describe("TrajectorySchema", () => {
  it("accepts a tool-using rollout and keeps the turn kinds apart", () => {
    const t = TrajectorySchema.parse(base);
    expect(t.turns.map((turn) => turn.role)).toEqual(["assistant", "observation", "assistant"]);
    const first = t.turns[0];
    expect(first?.role === "assistant" && first.toolCall?.name).toBe("python");
  });

  it("rejects a negative or fractional tool-call count and an unknown finish reason", () => {
    expect(TrajectorySchema.safeParse({ ...base, toolCalls: -1 }).success).toBe(false);
    expect(TrajectorySchema.safeParse({ ...base, toolCalls: 1.5 }).success).toBe(false);
    expect(TrajectorySchema.safeParse({ ...base, finishReason: "bored" }).success).toBe(false);
    expect(TrajectorySchema.safeParse({ ...base, finishReason: "max_turns" }).success).toBe(true);
    expect(TrajectorySchema.safeParse({ ...base, rolloutIndex: -1 }).success).toBe(false);
  });

  it("requires token ids, log-probs and loss mask of one length", () => {
    const tokens = { promptIds: [1, 2], ids: [5, 6, 7], logProbs: [-0.1, 0, -0.3], lossMask: [1, 0, 1] };
    expect(TrajectorySchema.safeParse({ ...base, tokens }).success).toBe(true);
    const short = TrajectorySchema.safeParse({ ...base, tokens: { ...tokens, lossMask: [1, 0] } });
    expect(short.success).toBe(false);
    expect(short.error!.issues[0]?.message).toContain("same length");
    expect(TrajectorySchema.safeParse({ ...base, tokens: { ...tokens, lossMask: [1, 2, 1] } }).success).toBe(
      false,
    );
  });
});

describe("VerdictSchema", () => {
  it("keeps scores in [0, 1] and records who decided", () => {
    expect(
      VerdictSchema.parse({ status: "ok", score: 1, correct: true, decidedBy: "rule", rule: "numeric" }).rule,
    ).toBe("numeric");
    expect(
      VerdictSchema.safeParse({ status: "ok", score: 1.5, correct: true, decidedBy: "llm" }).success,
    ).toBe(false);
    expect(
      VerdictSchema.safeParse({ status: "maybe", score: 0, correct: false, decidedBy: "llm" }).success,
    ).toBe(false);
  });
});
