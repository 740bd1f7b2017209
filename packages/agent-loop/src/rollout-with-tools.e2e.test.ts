import type { ObservationTurn, Task } from "@hdpo/core";
import { createToolRuntime, InProcessToolExecutor, type ToolRuntime } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollout } from "./rollout";
import { ScriptedPolicy } from "./test-support/scripted-policy";

// The agent loop driving the real tools in-process: the same path the trainer takes without a tool server.
describe("rollout over the in-process tools", () => {
  let runtime: ToolRuntime;

  beforeAll(async () => {
    runtime = await createToolRuntime({
      python: { prewarm: 2 },
      textSearch: undefined,
      blocklist: false,
      idleTimeoutMs: Number.POSITIVE_INFINITY,
    });
  });
  afterAll(async () => {
    await runtime.shutdown();
  });

  it("runs G rollouts per task with persistent Python state per trajectory, then frees every session", async () => {
    const tasks: Task[] = [
      { id: "a", question: "seed 3", answer: "9" },
      { id: "b", question: "seed 5", answer: "25" },
    ];
    const call = (code: string) =>
      `<reason>compute</reason><tool_call>${JSON.stringify({ name: "python", arguments: { code } })}</tool_call>`;
    // Each trajectory stores its task's seed, then reads it back in a second call: a leak between
    // trajectories or a lost session would print another task's square or fail.
    const policy = new ScriptedPolicy(({ step, question }) => {
      const seed = Number(question.split(" ")[1]);
      if (step === 0) return call(`v = ${seed}`);
      if (step === 1) return call("print(v * v)");
      if (step === 2) return call("v +");
      return `<reason>done</reason><answer>${seed * seed}</answer>`;
    });
    const trajectories = await rollout(tasks, {
      groupSize: 4,
      concurrency: 8,
      policy,
      tools: new InProcessToolExecutor(runtime),
    });

    expect(trajectories).toHaveLength(8);
    for (const trajectory of trajectories) {
      const seed = trajectory.taskId === "a" ? 3 : 5;
      const observations = trajectory.turns.filter((t): t is ObservationTurn => t.role === "observation");
      expect(observations).toHaveLength(3);
      expect(observations[0]?.text).toContain("Script executed successfully (no output).");
      expect(observations[1]?.text).toContain(`${seed * seed}`);
      expect(observations[2]?.text).toContain("SyntaxError");
      // T counts every request sent; validity is the tool's (a syntax error is still a valid call)
      expect(trajectory).toMatchObject({
        finishReason: "answer",
        answer: `${seed * seed}`,
        toolCalls: 3,
        toolCallsByName: { python: 3 },
      });
    }
    // the loop closes every trajectory's session when it ends
    await expect.poll(() => runtime.stats().liveSessions, { timeout: 10_000 }).toBe(0);
    expect(runtime.stats().trajectories).toBe(0);
  });
});
