import type { Task, Trajectory } from "@hdpo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteToolExecutor } from "./remote-tool-executor";
import { rollout } from "./rollout";
import { InProcessTools } from "./test-support/in-process-tools";
import { ScriptedPolicy } from "./test-support/scripted-policy";
import { startVerlToolTestServer, type VerlToolTestServer } from "./test-support/verl-tool-test-server";

const python = (code: string): string =>
  `<tool_call>${JSON.stringify({ name: "python", arguments: { code } })}</tool_call>`;
const tasks = (n: number): Task[] =>
  Array.from({ length: n }, (_, i) => ({ id: `task-${i}`, question: `Q${i}`, answer: `${i}` }));

let server: VerlToolTestServer;
beforeAll(async () => {
  server = await startVerlToolTestServer();
});
afterAll(async () => {
  await server.close();
});

describe("rollout", () => {
  it("runs 1,000 concurrent trajectories with nothing lost or mixed up, never above the concurrency bound", async () => {
    // 250 tasks × G = 4. Each turn's code names its question and step, and the tools answer after a pseudo-random
    // delay so completions interleave; an observation routed to the wrong trajectory fails the content checks.
    const policy = new ScriptedPolicy(({ question, step }) =>
      step < 2 ? python(`${question}/s${step}`) : `<answer>${question}</answer>`,
    );
    const tools = new InProcessTools(async (call) => {
      await new Promise((r) => setTimeout(r, call.action.length % 3));
      const code = /"code":"([^"]*)"/.exec(call.action)?.[1];
      return { text: `ran:${code}`, valid: true, done: false };
    });
    let inFlight = 0;
    let peak = 0;
    const result = await rollout(tasks(250), {
      policy,
      tools,
      groupSize: 4,
      concurrency: 256,
      onEvent: (e) => {
        if (e.type === "trajectory-start") peak = Math.max(peak, ++inFlight);
        if (e.type === "trajectory-end") inFlight--;
      },
    });
    expect(result).toHaveLength(1000);
    expect(new Set(result.map((t) => t.id)).size).toBe(1000);
    expect(peak).toBe(256);
    result.forEach((tr: Trajectory, k) => {
      const i = Math.floor(k / 4); // task-major order: k = 4·i + rolloutIndex
      expect(tr).toMatchObject({ taskId: `task-${i}`, groupId: `task-${i}`, rolloutIndex: k % 4 });
      expect(tr).toMatchObject({ finishReason: "answer", answer: `Q${i}`, toolCalls: 2 });
      expect(tr.turns[1]?.text).toBe(`ran:Q${i}/s0`);
      expect(tr.turns[3]?.text).toBe(`ran:Q${i}/s1`);
    });
    // the tools saw each trajectory's own actions under its own id, and every id was closed once
    const byId = new Map(result.map((tr) => [tr.id, tr]));
    for (const call of tools.calls) {
      expect(call.action).toContain(`"${byId.get(call.trajectoryId)?.answer}/s`);
    }
    expect(tools.calls).toHaveLength(2000);
    expect(tools.closed.slice().sort()).toEqual([...byId.keys()].sort());
  });

  it("keeps sessions apart over real HTTP (200 trajectories against the verl-tool test server)", async () => {
    const policy = new ScriptedPolicy(({ question, step }) =>
      step < 1 ? python(`${question}/s${step}`) : `<answer>${question}</answer>`,
    );
    const tools = new RemoteToolExecutor({ url: server.url, timeoutMs: 10_000 });
    const before = server.requests.length;
    const result = await rollout(tasks(50), { policy, tools, groupSize: 4, concurrency: 64 });
    result.forEach((tr, k) => {
      expect(tr.turns[1]?.text).toBe(`ran:Q${Math.floor(k / 4)}/s0`);
    });
    // 1 action + 1 close per trajectory, each under its own id
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(400);
    const perId = new Map<string, string[]>();
    for (const r of sent)
      perId.set(r.trajectory_ids[0]!, [...(perId.get(r.trajectory_ids[0]!) ?? []), r.actions[0]!]);
    for (const tr of result) {
      expect(perId.get(tr.id)).toEqual([python(`Q${tr.answer?.slice(1)}/s0`), ""]);
    }
  });

  it("one failing trajectory does not take down the batch", async () => {
    const policy = new ScriptedPolicy(({ question }) =>
      question === "Q1" ? new Error("bad") : "<answer>ok</answer>",
    );
    const result = await rollout(tasks(3), { policy, tools: new InProcessTools(), groupSize: 2 });
    expect(result.map((t) => t.finishReason)).toEqual([
      "answer",
      "answer",
      "error",
      "error",
      "answer",
      "answer",
    ]);
    expect(result[2]?.error).toContain("bad");
  });

  it("an outage of the tool server rejects the batch with InfrastructureError, aborting the rest (real HTTP)", async () => {
    // Task 2 calls a tool the test server answers with HTTP 500; the others wait on a slow tool until aborted.
    const policy = new ScriptedPolicy(({ question, step }) =>
      step > 0
        ? "<answer>a</answer>"
        : question === "Q2"
          ? `<tool_call>${JSON.stringify({ name: "fail500", arguments: {} })}</tool_call>`
          : `<tool_call>${JSON.stringify({ name: "hang", arguments: {} })}</tool_call>`,
    );
    const tools = new RemoteToolExecutor({ url: server.url, timeoutMs: 60_000, retries: 0 });
    let ended = 0;
    const batch = rollout(tasks(6), {
      policy,
      tools,
      groupSize: 1,
      concurrency: 3,
      onEvent: (event) => {
        if (event.type === "trajectory-end") ended++;
      },
    });
    await expect(batch).rejects.toMatchObject({ name: "InfrastructureError", service: "tool-server" });
    // the two hanging trajectories in flight were aborted rather than awaited for a minute; none started after
    expect(ended).toBe(3);
  });

  it("abort ends running and pending trajectories as error 'aborted', closes every one, loses none", async () => {
    const controller = new AbortController();
    let started = 0;
    const policy = new ScriptedPolicy(async ({ step }) => {
      if (++started === 5) controller.abort();
      await new Promise((r) => setTimeout(r, 5));
      return step < 3 ? python("x") : "<answer>a</answer>";
    });
    const tools = new InProcessTools();
    const result = await rollout(tasks(10), {
      policy,
      tools,
      groupSize: 2,
      concurrency: 4,
      signal: controller.signal,
    });
    expect(result).toHaveLength(20);
    expect(result.every((t) => t.finishReason === "error" && t.error === "aborted")).toBe(true);
    expect(new Set(tools.closed)).toEqual(new Set(result.map((t) => t.id)));
  });

  it("validates its input", async () => {
    const opts = { policy: new ScriptedPolicy(() => "a"), tools: new InProcessTools() };
    await expect(rollout(tasks(1), { ...opts, groupSize: 0 })).rejects.toThrow(/groupSize/);
    await expect(rollout(tasks(1), { ...opts, groupSize: 1, concurrency: 0 })).rejects.toThrow(/concurrency/);
    const dup = [...tasks(1), ...tasks(1)];
    await expect(rollout(dup, { ...opts, groupSize: 1 })).rejects.toThrow(/appears twice/);
    await expect(
      rollout(tasks(1), { ...opts, groupSize: 2, makeTrajectoryId: () => "same" }),
    ).rejects.toThrow(/made twice/);
    expect(await rollout([], { ...opts, groupSize: 3 })).toEqual([]);
  });
});
