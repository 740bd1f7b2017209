import type { Task } from "@hdpo/core";
import { TrajectorySchema } from "@hdpo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RolloutEvent } from "./events";
import { InfrastructureError } from "./infrastructure-error";
import { OpenAIPolicyError } from "./openai-policy-error";
import { RemoteToolExecutor } from "./remote-tool-executor";
import { runTrajectory } from "./rollout-trajectory";
import { InProcessTools } from "./test-support/in-process-tools";
import { ScriptedPolicy } from "./test-support/scripted-policy";
import { startVerlToolTestServer, type VerlToolTestServer } from "./test-support/verl-tool-test-server";

const call = (name: string, args: Record<string, unknown> = {}): string =>
  `<reason>r</reason><tool_call>${JSON.stringify({ name, arguments: args })}</tool_call>`;
const task: Task = {
  id: "t1",
  question: "What is 2+3?",
  answer: "5",
  images: ["data:image/png;base64,QQ=="],
};
const chars = (text: string): number => text.length;

let server: VerlToolTestServer;
beforeAll(async () => {
  server = await startVerlToolTestServer();
});
afterAll(async () => {
  await server.close();
});
const remote = (timeoutMs = 2000) => new RemoteToolExecutor({ url: server.url, timeoutMs, retries: 1 });

describe("runTrajectory", () => {
  it("runs a multi-turn rollout against a real verl-tool server, forwarding images and extra_info", async () => {
    const policy = new ScriptedPolicy(
      ({ step }) =>
        [call("python", { code: "print(2+3)" }), call("search", { query: "q" }), "<answer> 5 </answer>"][
          step
        ] ?? "",
      { stripStopStrings: true, record: true },
    );
    const tr = await runTrajectory(
      { ...task, extraInfo: { index: "src_0" } },
      { policy, tools: remote(), trajectoryId: "traj-a", rolloutIndex: 3 },
    );
    expect(TrajectorySchema.safeParse(tr).success).toBe(true);
    expect(tr.finishReason).toBe("answer");
    expect(tr.answer).toBe("5");
    expect(tr.rolloutIndex).toBe(3);
    expect(tr.groupId).toBe("t1");
    expect(tr.toolCalls).toBe(2);
    expect(tr.toolCallsByName).toEqual({ python: 1, search: 1 });
    expect(tr.invalidToolCalls).toBe(0);
    expect(tr.turns.map((t) => t.role)).toEqual([
      "assistant",
      "observation",
      "assistant",
      "observation",
      "assistant",
    ]);
    // the stripped stop string is restored in the record and in the action
    expect(tr.turns[0]?.text.endsWith("</tool_call>")).toBe(true);
    expect(tr.turns[1]).toMatchObject({ text: "ran:print(2+3)", valid: true, toolName: "python" });
    const actions = server.requests.filter((r) => r.trajectory_ids[0] === "traj-a");
    // 2 tool calls + 1 close request
    expect(actions).toHaveLength(3);
    expect(actions[0]).toMatchObject({
      actions: [call("python", { code: "print(2+3)" })],
      finish: [false],
      is_last_step: [false],
      extra_fields: [{ index: "src_0", images: ["data:image/png;base64,QQ=="] }],
    });
    expect(actions[2]).toMatchObject({ actions: [""], finish: [true], is_last_step: [true] });
    // observation became the next user turn; every generation asked to stop at </tool_call>
    const second = policy.requests[1]!;
    expect(second.messages.at(-1)).toEqual({ role: "user", content: "ran:print(2+3)" });
    expect(second.sampling.stop).toEqual(["</tool_call>"]);
    // every request of the trajectory carries its id, so replicas can keep its prefix cache
    expect(policy.requests.map((r) => r.affinityKey)).toEqual(["traj-a", "traj-a", "traj-a"]);
    expect(policy.requests[0]!.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "image", image: "data:image/png;base64,QQ==" },
        { type: "text", text: "What is 2+3?" },
      ],
    });
  });

  it("does not execute a tool call at step = maxTurns (≤ maxTurns calls in ≤ maxTurns+1 generations)", async () => {
    const tools = new InProcessTools();
    const policy = new ScriptedPolicy(() => call("python", { code: "1" }));
    const tr = await runTrajectory(task, { policy, tools, maxTurns: 2 });
    expect(tr.finishReason).toBe("max_turns");
    expect(tr.toolCalls).toBe(2);
    expect(tools.calls).toHaveLength(2);
    expect(tr.turns.filter((t) => t.role === "assistant")).toHaveLength(3);
    expect(tools.closed).toEqual([tr.id]);
  });

  it("shares the response budget between actions and observations", async () => {
    const action = "<tool_call>{}</tool_call>"; // 25 chars = 25 char-tokens
    const tools = new InProcessTools(() => ({ text: "obs-abc", valid: true, done: false })); // 7 tokens
    // maxResponse 70, maxAction 30:
    // gen 0: min(30, 70) = 30, spends 25 → 25, obs → 32
    // gen 1: min(30, 70 − 32 = 38) = 30, spends 25 → 57, obs → 64
    // gen 2: min(30, 70 − 64 = 6) = 6 → the turn is cut at 6 tokens ("length") → "max_tokens"
    const policy = new ScriptedPolicy(() => action, { charTokens: true, record: true });
    const opts = { policy, tools, countTokens: chars, maxActionTokens: 30 };
    const tr = await runTrajectory(task, { ...opts, maxResponseTokens: 70 });
    expect(policy.requests.map((r) => r.sampling.maxTokens)).toEqual([30, 30, 6]);
    expect(tr.finishReason).toBe("max_tokens");
    expect(tr.toolCalls).toBe(2);
    expect(tr.usage).toMatchObject({ completionTokens: 25 + 25 + 6, observationTokens: 14 });
    // maxResponse 64: gen 2 gets min(30, 0) = 0 → stops without asking the policy
    policy.requests.length = 0;
    const exact = await runTrajectory(task, { ...opts, maxResponseTokens: 64 });
    expect(policy.requests.map((r) => r.sampling.maxTokens)).toEqual([30, 30]);
    expect(exact.finishReason).toBe("max_tokens");
  });

  it("cuts a turn at maxTokens and ends with max_tokens (finishReason length)", async () => {
    // charTokens: maxTokens = min(5, 100) = 5 → text cut to 5 chars, "length"
    const policy = new ScriptedPolicy(() => "<answer>long answer</answer>", { charTokens: true });
    const tr = await runTrajectory(task, {
      policy,
      tools: new InProcessTools(),
      maxActionTokens: 5,
      maxResponseTokens: 100,
    });
    expect(tr.finishReason).toBe("max_tokens");
    expect(tr.turns[0]).toMatchObject({ text: "<answ", finishReason: "length" });
    expect(tr.answer).toBeUndefined();
  });

  it("truncates long text observations keeping the LAST tokens, with images the FIRST (images dropped)", async () => {
    const textOnly = new InProcessTools(() => ({ text: "0123456789", valid: true, done: false }));
    const policy = new ScriptedPolicy(({ step }) => (step === 0 ? call("python") : "<answer>x</answer>"));
    const a = await runTrajectory(task, {
      policy,
      tools: textOnly,
      countTokens: chars,
      maxObservationTokens: 4,
    });
    expect(a.turns[1]?.text).toBe("6789...(truncated)");
    const withImages = new InProcessTools(() => ({
      text: "0123456789",
      images: ["img"],
      valid: true,
      done: false,
    }));
    const b = await runTrajectory(task, {
      policy,
      tools: withImages,
      countTokens: chars,
      maxObservationTokens: 4,
    });
    expect(b.turns[1]).toMatchObject({ text: "0123...(truncated)" });
    expect((b.turns[1] as { images?: string[] }).images).toBeUndefined();
    // default counter: ceil(len/4) tokens; 40 chars = 10 tokens > 2 → keep last 2·4 = 8 chars
    const long = new InProcessTools(() => ({ text: "a".repeat(32) + "LASTLAST", valid: true, done: false }));
    const c = await runTrajectory(task, { policy, tools: long, maxObservationTokens: 2 });
    expect(c.turns[1]?.text).toBe("LASTLAST...(truncated)");
  });

  it("counts every request in T, per tool name and invalid, for every error kind", async () => {
    const script = [
      "<tool_call>{not json</tool_call>", // "" invalid
      call("nosuch"), // no handler, invalid
      call("search", { query: "ok" }), // valid
      "<tool_call>[1,2]</tool_call>", // unparseable as a call → "unknown", server says ""
      call("done"), // the tool's own error with done=true
    ];
    const policy = new ScriptedPolicy(({ step }) => script[step] ?? "<answer>no</answer>");
    const tr = await runTrajectory(task, { policy, tools: remote() });
    expect(tr.finishReason).toBe("tool_done");
    expect(tr.toolCalls).toBe(5);
    expect(tr.toolCallsByName).toEqual({ unknown: 2, nosuch: 1, search: 1, done: 1 });
    expect(tr.invalidToolCalls).toBe(4);
    expect(tr.turns.at(-1)?.text).toBe("finished");
    expect(tr.error).toBe("x");
  });

  it("a tool server answering 500 after the retries rejects with InfrastructureError, and the session is closed", async () => {
    const events: RolloutEvent[] = [];
    const policy = new ScriptedPolicy(({ step }) =>
      step === 0 ? call("search", { query: "q" }) : call("fail500"),
    );
    const run = runTrajectory(task, {
      policy,
      tools: remote(),
      trajectoryId: "traj-500",
      onEvent: (event) => events.push(event),
    });
    await expect(run).rejects.toBeInstanceOf(InfrastructureError);
    await expect(run).rejects.toMatchObject({ service: "tool-server" });
    await expect(run).rejects.toThrow(/answered HTTP 500: .*\(2 attempts\)/);
    const sent = server.requests.filter((r) => r.trajectory_ids[0] === "traj-500");
    expect(sent.at(-1)).toMatchObject({ finish: [true] });
    expect(events.at(-1)).toMatchObject({ type: "trajectory-end", finishReason: "error" });
  });

  it("a hanging tool server is an outage after the timeout and the retries", async () => {
    const policy = new ScriptedPolicy(() => call("hang"));
    await expect(runTrajectory(task, { policy, tools: remote(60) })).rejects.toThrow(
      /did not answer within 0.06 s \(2 attempts\)/,
    );
  });

  it("a tool server that refuses connections is an outage", async () => {
    const dead = await startVerlToolTestServer();
    const url = dead.url;
    await dead.close();
    const policy = new ScriptedPolicy(() => call("python"));
    await expect(
      runTrajectory(task, {
        policy,
        tools: new RemoteToolExecutor({ url, timeoutMs: 1000, retryDelayMs: 0 }),
      }),
    ).rejects.toMatchObject({ name: "InfrastructureError", service: "tool-server" });
  });

  it("a model endpoint that fails after its retries is an outage of the model; a 400 is the trajectory's error", async () => {
    const tools = new InProcessTools();
    const down = new ScriptedPolicy(
      () => new OpenAIPolicyError("connection", "could not connect (4 attempts)"),
    );
    await expect(runTrajectory(task, { policy: down, tools })).rejects.toMatchObject({
      name: "InfrastructureError",
      service: "model",
      message: expect.stringContaining("could not connect"),
    });
    expect(tools.closed).toHaveLength(1);
    const badGateway = new ScriptedPolicy(
      () => new OpenAIPolicyError("http-error", "HTTP 502", { status: 502 }),
    );
    await expect(runTrajectory(task, { policy: badGateway, tools })).rejects.toMatchObject({
      service: "model",
    });
    const tooLong = new ScriptedPolicy(
      () => new OpenAIPolicyError("http-error", "context too long", { status: 400 }),
    );
    const tr = await runTrajectory(task, { policy: tooLong, tools });
    expect(tr.finishReason).toBe("error");
    expect(tr.error).toContain("context too long");
  });

  it("done=true from a tool ends with tool_done after recording the observation", async () => {
    const policy = new ScriptedPolicy(() => call("done"));
    const tr = await runTrajectory(task, { policy, tools: remote() });
    expect(tr.finishReason).toBe("tool_done");
    expect(tr.turns.at(-1)).toMatchObject({ role: "observation", text: "finished", valid: false });
  });

  it("takes the answer from model text only, never from an observation", async () => {
    const tools = new InProcessTools(() => ({
      text: "use <answer>42</answer> tags",
      valid: true,
      done: false,
    }));
    const policy = new ScriptedPolicy(({ step }) =>
      step === 0 ? call("python") : "<answer>first</answer> <answer>second</answer>",
    );
    const tr = await runTrajectory(task, { policy, tools });
    expect(tr.answer).toBe("first");
    expect(tr.finalText).toContain("<answer>42</answer>");
    const none = await runTrajectory(task, {
      policy: new ScriptedPolicy(({ step }) => (step === 0 ? call("x") : "no tags")),
      tools,
    });
    expect(none.answer).toBeUndefined();
  });

  it("a policy error ends as error with its cause, and close is still called", async () => {
    const tools = new InProcessTools();
    const policy = new ScriptedPolicy(({ step }) => (step === 0 ? call("python") : new Error("CUDA OOM")));
    const tr = await runTrajectory(task, { policy, tools });
    expect(tr.finishReason).toBe("error");
    expect(tr.error).toContain("CUDA OOM");
    expect(tr.toolCalls).toBe(1);
    expect(tools.closed).toEqual([tr.id]);
  });

  it("a tool executor that throws (against its contract) is a failed, invalid, done call", async () => {
    const tools = new InProcessTools(() => {
      throw new Error("socket gone");
    });
    const tr = await runTrajectory(task, { policy: new ScriptedPolicy(() => call("python")), tools });
    expect(tr).toMatchObject({ finishReason: "tool_done", toolCalls: 1, invalidToolCalls: 1 });
    expect(tr.turns.at(-1)?.text).toBe("Tool call error: socket gone");
  });

  it("records tokens with loss mask 1 for the model and 0 for encoded observations", async () => {
    const policy = new ScriptedPolicy(({ step }) => (step === 0 ? call("p") : "<answer>y</answer>"), {
      charTokens: true,
    });
    const tools = new InProcessTools(() => ({ text: "ob", valid: true, done: false }));
    const encodeObservation = (text: string): number[] => [
      900,
      ...Array.from(text, (c) => c.charCodeAt(0)),
      901,
    ];
    const tr = await runTrajectory(task, { policy, tools, encodeObservation, encodePrompt: () => [1, 2, 3] });
    const a0 = call("p").length; // model turn 0 tokens
    const a1 = "<answer>y</answer>".length;
    expect(tr.tokens?.promptIds).toEqual([1, 2, 3]);
    expect(tr.tokens?.ids).toHaveLength(a0 + 4 + a1);
    expect(tr.tokens?.lossMask).toEqual([...Array(a0).fill(1), 0, 0, 0, 0, ...Array(a1).fill(1)]);
    expect(tr.tokens?.logProbs.slice(a0, a0 + 4)).toEqual([0, 0, 0, 0]);
    expect(tr.tokens?.ids.slice(a0, a0 + 4)).toEqual([900, 111, 98, 901]);
    expect(tr.usage?.observationTokens).toBe(4);
    // without an observation encoder the record would have holes: left undefined
    const without = await runTrajectory(task, { policy, tools });
    expect(without.tokens).toBeUndefined();
  });

  it("hands a token-level policy the exact ids so far, and none to a caller that keeps no token record", async () => {
    const policy = new ScriptedPolicy(({ step }) => (step === 0 ? call("p") : "<answer>y</answer>"), {
      charTokens: true,
      record: true,
    });
    const tools = new InProcessTools(() => ({ text: "ob", valid: true, done: false }));
    const encodeObservation = (text: string): number[] => [900, ...Array.from(text, (c) => c.charCodeAt(0))];
    const tr = await runTrajectory(task, { policy, tools, encodeObservation, encodePrompt: () => [1, 2, 3] });
    expect(policy.requests.map((r) => r.promptTokenIds)).toEqual([
      [1, 2, 3],
      [1, 2, 3, ...tr.tokens!.ids.slice(0, call("p").length + 3)],
    ]);
    const textual = new ScriptedPolicy(() => "<answer>y</answer>", { record: true });
    await runTrajectory(task, { policy: textual, tools });
    expect(textual.requests[0]?.promptTokenIds).toBeUndefined();
  });

  it("turns native tool calls into tool messages answering their ids", async () => {
    const policy = new ScriptedPolicy(
      ({ step }) =>
        step === 0
          ? {
              text: "",
              finishReason: "tool-call",
              toolCalls: [{ id: "c1", name: "python", arguments: { code: "1" } }],
            }
          : "<answer>1</answer>",
      { record: true },
    );
    const tools = new InProcessTools();
    const tr = await runTrajectory(task, { policy, tools });
    expect(tools.calls[0]?.action).toBe('<tool_call>{"name":"python","arguments":{"code":"1"}}</tool_call>');
    expect(policy.requests[1]?.messages.at(-1)).toMatchObject({
      role: "tool",
      toolCallId: "c1",
      name: "python",
    });
    // the assistant turn before it carries the call, so the conversation replays on a strict server
    expect(policy.requests[1]?.messages.at(-2)).toMatchObject({
      role: "assistant",
      toolCalls: [{ id: "c1", name: "python", arguments: { code: "1" } }],
    });
    expect(tr).toMatchObject({ finishReason: "answer", toolCalls: 1, toolCallsByName: { python: 1 } });
  });

  it("stops text-protocol turns at </tool_call> but sends no stop string when tools are native", async () => {
    const schemas = [{ type: "function", function: { name: "python", parameters: { type: "object" } } }];
    const text = new ScriptedPolicy(() => "<answer>1</answer>", { record: true });
    await runTrajectory(task, { policy: text, tools: new InProcessTools() });
    expect(text.requests[0]?.sampling.stop).toEqual(["</tool_call>"]);
    const native = new ScriptedPolicy(() => "<answer>1</answer>", { record: true });
    await runTrajectory(task, { policy: native, tools: new InProcessTools(), toolSchemas: schemas });
    expect(native.requests[0]?.sampling.stop).toEqual([]);
  });

  it("emits start, turn, tool-call and end events in order", async () => {
    const events: RolloutEvent[] = [];
    const policy = new ScriptedPolicy(({ step }) => (step === 0 ? call("python") : "<answer>a</answer>"));
    await runTrajectory(task, {
      policy,
      tools: new InProcessTools(),
      onEvent: (e) => {
        events.push(e);
        throw new Error("a broken listener must not break the rollout");
      },
    });
    expect(events.map((e) => e.type)).toEqual([
      "trajectory-start",
      "turn",
      "tool-call",
      "turn",
      "trajectory-end",
    ]);
  });

  it("rejects invalid limits with AgentLoopError", async () => {
    const opts = { policy: new ScriptedPolicy(() => "x"), tools: new InProcessTools() };
    await expect(runTrajectory(task, { ...opts, maxTurns: -1 })).rejects.toThrow(/maxTurns/);
    await expect(runTrajectory(task, { ...opts, maxResponseTokens: 1.5 })).rejects.toThrow(
      /maxResponseTokens/,
    );
    await expect(runTrajectory({ ...task, id: "" }, opts)).rejects.toThrow(/task.id/);
  });
});
