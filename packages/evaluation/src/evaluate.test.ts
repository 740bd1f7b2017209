import { RemoteToolExecutor } from "@hdpo/agent-loop";
import {
  createTestOpenAIServer,
  ScriptedPolicy,
  startVerlToolTestServer,
  type VerlToolTestServer,
} from "@hdpo/agent-loop/testing";
import type { Task } from "@hdpo/core";
import { createJudge, LlmJudge } from "@hdpo/judge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluate } from "./evaluate";
import { EvaluationError } from "./evaluation-error";
import type { EvaluationEvent, EvaluationOptions } from "./evaluation-options";
import { summarize } from "./summary";

/**
 * Six tasks with hand-computable numbers. Tool use: t0, t2 (required) and t3 (unnecessary: blind); t4 is required
 * but answered without a tool (missed). Right: t0 t1 t2 t3 → accuracy 4/6; tool-use rate 3/6; blind 1/3 (t3 of
 * t1 t3 t5); missed 1/3 (t4 of t0 t2 t4); accuracy 2/3 on either label.
 */
const PLAN = [
  { necessity: "required", tool: true, right: true },
  { necessity: "unnecessary", tool: false, right: true },
  { necessity: "required", tool: true, right: true },
  { necessity: "unnecessary", tool: true, right: true },
  { necessity: "required", tool: false, right: false },
  { necessity: "unnecessary", tool: false, right: false },
] as const;
const tasks: Task[] = PLAN.map((plan, i) => ({
  id: `t${i}`,
  question: `What is ${i} * 7?`,
  answer: String(i * 7),
  toolNecessity: plan.necessity,
}));
const indexOf = new Map(tasks.map((task, i) => [task.question, i]));
const ALL = tasks.map((task) => task.id);
const TOOL_TASKS = ["t0", "t2", "t3"];

function script(question: string, step: number): string {
  const i = indexOf.get(question)!;
  const plan = PLAN[i]!;
  if (plan.tool && step === 0)
    return `<tool_call>${JSON.stringify({ name: "python", arguments: { code: `print(${i} * 7)` } })}</tool_call>`;
  return `<answer>${plan.right ? i * 7 : i * 7 + 1}</answer>`;
}

const policy = new ScriptedPolicy(({ question, step }) => script(question, step));

let healthyTools: VerlToolTestServer;
beforeAll(async () => {
  healthyTools = await startVerlToolTestServer();
});
afterAll(async () => {
  await healthyTools.close();
});

function options(url: string, overrides: Partial<EvaluationOptions> = {}): EvaluationOptions {
  return {
    tasks,
    policy,
    tools: new RemoteToolExecutor({ url, timeoutMs: 5000, retries: 0 }),
    judge: createJudge(),
    rollout: { maxTurns: 2, systemPrompt: "answer" },
    concurrency: 3,
    ...overrides,
  };
}

/** A URL on 127.0.0.1 where nothing listens any more. */
async function closedToolServerUrl(): Promise<string> {
  const server = await startVerlToolTestServer();
  await server.close();
  return server.url;
}

/** The question a policy's request is about (the first user message). */
function questionsSeen(seen: ScriptedPolicy): Set<string> {
  return new Set(
    seen.requests.map((request) => {
      const user = request.messages.find((m) => m.role === "user")!;
      return typeof user.content === "string" ? user.content : "";
    }),
  );
}

describe("evaluate with healthy services (the positive control)", () => {
  it("scores every task: the hand-computed accuracy, tool-use rate, blind and missed tool use", async () => {
    const events: EvaluationEvent[] = [];
    const run = await evaluate(options(healthyTools.url, { onEvent: (event) => void events.push(event) }));
    // in the order of the tasks, whatever finished first
    expect(run.predictions.map((p) => p.id)).toEqual(ALL);
    expect(run).toMatchObject({
      failed: [],
      unscored: [],
      skipped: 0,
      notScored: { "tool-server": 0, model: 0, judge: 0 },
    });
    expect(run.infrastructureStop).toBeUndefined();
    const summary = summarize(run.predictions, { errorPolicy: "exclude", planned: 6, complete: true });
    expect(summary.accuracy).toBeCloseTo(4 / 6, 12);
    expect(summary.toolUseRate).toBe(0.5);
    expect(summary.meanToolCalls).toBe(0.5);
    expect(summary.blindToolRate).toBeCloseTo(1 / 3, 12);
    expect(summary.missedToolRate).toBeCloseTo(1 / 3, 12);
    expect(summary.toolNecessity!.accuracy.required).toBeCloseTo(2 / 3, 12);
    expect(summary.toolNecessity!.accuracy.unnecessary).toBeCloseTo(2 / 3, 12);
    expect(summary.toolCallsByName).toEqual({ python: 3 });
    // every item was told once, as "scored", with the trajectory it came from
    expect(events.map((e) => e.type)).toEqual(Array(6).fill("scored"));
    for (const event of events) {
      if (event.type !== "scored") continue;
      expect(event.trajectory.taskId).toBe(event.task.id);
      expect(event.prediction.id).toBe(event.task.id);
      expect(tasks[event.index]).toBe(event.task);
    }
  });

  it("gives each task the rollout settings the caller derives from it (ids, sampling)", async () => {
    const recording = new ScriptedPolicy(({ question, step }) => script(question, step), { record: true });
    const server = await startVerlToolTestServer();
    try {
      const run = await evaluate(
        options(server.url, {
          policy: recording,
          rollout: (task, index) => ({
            maxTurns: 2,
            sampling: { temperature: 0.25, topP: 1 },
            trajectoryId: `eval-7-${task.id}-${index}`,
          }),
        }),
      );
      expect(run.predictions).toHaveLength(6);
      // the tool server's session ids are the trajectory ids
      const sessions = new Set(server.requests.map((r) => r.trajectory_ids[0]));
      expect(sessions).toEqual(new Set(tasks.map((task, i) => `eval-7-${task.id}-${i}`)));
      expect(recording.requests.every((r) => r.sampling.temperature === 0.25 && r.sampling.topP === 1)).toBe(
        true,
      );
    } finally {
      await server.close();
    }
  });

  it("skips the ids an earlier run finished (resume) without rolling them out", async () => {
    const recording = new ScriptedPolicy(({ question, step }) => script(question, step), { record: true });
    const run = await evaluate(options(healthyTools.url, { policy: recording, skip: new Set(["t0", "t3"]) }));
    expect(run.skipped).toBe(2);
    expect(run.predictions.map((p) => p.id)).toEqual(["t1", "t2", "t4", "t5"]);
    const seen = questionsSeen(recording);
    expect(seen.has(tasks[0]!.question) || seen.has(tasks[3]!.question)).toBe(false);
    expect(seen.size).toBe(4);
  });

  it("reads an async source (a dataset read as it goes)", async () => {
    async function* stream(): AsyncGenerator<Task> {
      for (const task of tasks) yield task;
    }
    const run = await evaluate(options(healthyTools.url, { tasks: stream() }));
    expect(run.predictions.map((p) => p.id)).toEqual(ALL);
  });
});

describe("evaluate never scores an outage", () => {
  it("a tool server that is down: its tasks are unscored (not wrong), the others scored", async () => {
    const events: EvaluationEvent[] = [];
    const run = await evaluate(
      options(await closedToolServerUrl(), { onEvent: (event) => void events.push(event) }),
    );
    expect(run.unscored.map((u) => u.id)).toEqual(TOOL_TASKS);
    expect(run.unscored.every((u) => u.service === "tool-server")).toBe(true);
    expect(run.unscored[0]!.error).toMatch(/^the tool server at .* could not be reached/);
    expect(run.notScored).toEqual({ "tool-server": 3, model: 0, judge: 0 });
    expect(run.predictions.map((p) => p.id)).toEqual(["t1", "t4", "t5"]);
    expect(run.infrastructureStop).toBeUndefined();
    expect(events.filter((e) => e.type === "unscored")).toHaveLength(3);
  });

  it("stops after maxInfraFailures items in a row: says which service once, starts nothing after", async () => {
    const events: EvaluationEvent[] = [];
    const recording = new ScriptedPolicy(({ question, step }) => script(question, step), { record: true });
    const run = await evaluate(
      options(await closedToolServerUrl(), {
        policy: recording,
        concurrency: 1,
        maxInfraFailures: 2,
        onEvent: (event) => void events.push(event),
      }),
    );
    // t0 fails at the tool server, t1 needs none and is scored (it says nothing of the tool server), t2 fails → stop
    expect(run.infrastructureStop).toMatchObject({ service: "tool-server", inARow: 2 });
    expect(run.unscored.map((u) => u.id)).toEqual(["t0", "t2"]);
    expect(run.predictions.map((p) => p.id)).toEqual(["t1"]);
    expect(events.map((e) => e.type)).toEqual(["unscored", "scored", "unscored", "infrastructure-stop"]);
    expect(questionsSeen(recording).has(tasks[3]!.question)).toBe(false);
  });

  it("an LLM judge that is down: only what the rules cannot decide is unscored, whatever the error policy", async () => {
    const gone = createTestOpenAIServer({ models: ["judge"] });
    const judgeUrl = await gone.listen();
    await gone.close();
    // t1 answers in words: no rule decides that, so only the LLM judge could
    const wordy = new ScriptedPolicy(({ question, step }) =>
      question === tasks[1]!.question ? "<answer>the product seven</answer>" : script(question, step),
    );
    const judge = createJudge({
      llm: new LlmJudge({ baseURL: judgeUrl, model: "judge", retryDelayMs: 1, maxAttempts: 1 }),
      errorPolicy: "incorrect",
    });
    const run = await evaluate(
      options(healthyTools.url, {
        policy: wordy,
        judge,
        judgeOutage: { endpoint: judgeUrl, hint: "check that --judge names it." },
      }),
    );
    expect(run.unscored).toEqual([
      {
        id: "t1",
        service: "judge",
        error: expect.stringMatching(
          /^the judge at http:\/\/127\.0\.0\.1:\d+.* failed: connection: .*; check that --judge names it\.$/,
        ),
      },
    ]);
    expect(run.notScored).toEqual({ "tool-server": 0, model: 0, judge: 1 });
    expect(run.predictions.map((p) => p.id)).toEqual(["t0", "t2", "t3", "t4", "t5"]);
  });
});

describe("evaluate's other endings", () => {
  it("a rollout the policy fails is reported failed, with its trajectory, and never scored", async () => {
    const failing = new ScriptedPolicy(({ question, step }) =>
      question === tasks[1]!.question ? new Error("context too long") : script(question, step),
    );
    const events: EvaluationEvent[] = [];
    const run = await evaluate(
      options(healthyTools.url, { policy: failing, onEvent: (event) => void events.push(event) }),
    );
    expect(run.failed).toEqual([{ id: "t1", error: expect.stringContaining("context too long") }]);
    expect(run.unscored).toEqual([]);
    expect(run.predictions.map((p) => p.id)).toEqual(["t0", "t2", "t3", "t4", "t5"]);
    const failed = events.find((e) => e.type === "failed");
    expect(failed).toMatchObject({ index: 1, trajectory: { taskId: "t1", finishReason: "error" } });
  });

  it("a listener that throws ends the run with its error, and no item starts after it", async () => {
    const recording = new ScriptedPolicy(({ question, step }) => script(question, step), { record: true });
    const refusal = new Error("the disk is full");
    await expect(
      evaluate(
        options(healthyTools.url, {
          policy: recording,
          concurrency: 1,
          onEvent: () => {
            throw refusal;
          },
        }),
      ),
    ).rejects.toBe(refusal);
    expect(questionsSeen(recording)).toEqual(new Set([tasks[0]!.question]));
  });

  it("stop (a first Ctrl-C): the running items finish and are reported, none start", async () => {
    const stop = new AbortController();
    const run = await evaluate(
      options(healthyTools.url, { concurrency: 2, stop: stop.signal, onEvent: () => stop.abort() }),
    );
    expect(run.predictions).toHaveLength(2);
  });

  it("abort (a second Ctrl-C): a running item is abandoned and reported nowhere", async () => {
    const abort = new AbortController();
    // t1 waits until the run is aborted; t0 finishing aborts it
    const waiting = new ScriptedPolicy(({ question, step, request }) =>
      question === tasks[1]!.question
        ? new Promise<string>((resolve) =>
            request.signal!.addEventListener("abort", () => resolve("<answer>7</answer>")),
          )
        : script(question, step),
    );
    const events: EvaluationEvent[] = [];
    const run = await evaluate(
      options(healthyTools.url, {
        policy: waiting,
        concurrency: 2,
        abort: abort.signal,
        onEvent: (event) => {
          events.push(event);
          abort.abort();
        },
      }),
    );
    expect(run.predictions.map((p) => p.id)).toEqual(["t0"]);
    expect(run.failed).toEqual([]);
    expect(run.unscored).toEqual([]);
    expect(events).toHaveLength(1);
  });

  it("a task source that throws ends the run with its error", async () => {
    const broken = new Error("row 2 is not a task");
    async function* stream(): AsyncGenerator<Task> {
      yield tasks[0]!;
      throw broken;
    }
    await expect(evaluate(options(healthyTools.url, { tasks: stream() }))).rejects.toBe(broken);
  });

  it("refuses bad options with a line that says what to pass", async () => {
    const url = healthyTools.url;
    await expect(evaluate(options(url, { concurrency: 0 }))).rejects.toThrow(
      new EvaluationError("evaluate: options.concurrency must be a whole number ≥ 1, got 0."),
    );
    await expect(evaluate(options(url, { maxInfraFailures: 1.5 }))).rejects.toThrow(/maxInfraFailures/);
    await expect(evaluate(options(url, { tasks: 3 as never }))).rejects.toThrow(EvaluationError);
    await expect(evaluate(options(url, { judge: {} as never }))).rejects.toThrow(/judge\(input\)/);
  });
});
