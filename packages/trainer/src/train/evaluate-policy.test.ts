import { RemoteToolExecutor } from "@hdpo/agent-loop";
import {
  createTestOpenAIServer,
  metisLikeReply,
  ScriptedPolicy,
  startVerlToolTestServer,
  type VerlToolTestServer,
} from "@hdpo/agent-loop/testing";
import type { Task } from "@hdpo/core";
import { createJudge, LlmJudge } from "@hdpo/judge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TurnSeededPolicy } from "../turn-seeded-policy";
import { type EvaluationSetup, evaluateWithPolicy } from "./evaluate-policy";

/** Six tasks: the policy calls python on the "required" ones, then answers; it is right on every task. */
const tasks: Task[] = Array.from({ length: 6 }, (_, i) => ({
  id: `t${i}`,
  question: `What is ${i} * 7?`,
  answer: String(i * 7),
  toolNecessity: i % 2 === 0 ? "required" : "unnecessary",
}));
const byQuestion = new Map(tasks.map((task) => [task.question, task]));

const policy = new ScriptedPolicy(({ question, step }) => {
  const task = byQuestion.get(question)!;
  if (task.toolNecessity === "required" && step === 0) {
    return `<tool_call>${JSON.stringify({ name: "python", arguments: { code: `print(${task.id})` } })}</tool_call>`;
  }
  return `<answer>${task.answer}</answer>`;
});

let healthyTools: VerlToolTestServer;
beforeAll(async () => {
  healthyTools = await startVerlToolTestServer();
});
afterAll(async () => {
  await healthyTools.close();
});

function setup(url: string, overrides: Partial<EvaluationSetup> = {}): EvaluationSetup {
  return {
    tasks,
    tools: new RemoteToolExecutor({ url, timeoutMs: 5000, retries: 0 }),
    judge: createJudge(),
    systemPrompt: "answer",
    seed: 1,
    temperature: 0,
    maxTurns: 2,
    maxResponseTokens: 512,
    maxObservationTokens: 64,
    concurrency: 1,
    maxInfraFailures: 5,
    ...overrides,
  };
}

async function closedUrl(): Promise<string> {
  const server = await startVerlToolTestServer();
  await server.close();
  return server.url;
}

describe("evaluateWithPolicy and failing services", () => {
  it("the positive control: every task scored, all correct, half with a tool", async () => {
    const { result, infrastructureStop } = await evaluateWithPolicy(policy, setup(healthyTools.url));
    expect(infrastructureStop).toBeUndefined();
    expect(result).toMatchObject({
      n: 6,
      accuracy: 1,
      toolRateNecessary: 1,
      toolRateUnnecessary: 0,
      notScored: { "tool-server": 0, model: 0, judge: 0 },
    });
  });

  it("a tool server that is down: its tasks are not scored (not wrong), and the rates cover the rest", async () => {
    const { result, rollouts, infrastructureStop } = await evaluateWithPolicy(
      policy,
      setup(await closedUrl()),
    );
    expect(infrastructureStop).toBeUndefined();
    expect(result).toMatchObject({
      n: 3,
      accuracy: 1,
      toolRateNecessary: null,
      notScored: { "tool-server": 3, model: 0, judge: 0 },
    });
    expect(rollouts.map((r) => r.taskId)).toEqual(["t1", "t3", "t5"]);
  });

  it("a tool server that dies mid-evaluation, past the threshold: the evaluation stops and says which service", async () => {
    // t0's call is answered; the server dies when t0's session is closed (every trajectory closes one)
    let server: VerlToolTestServer | undefined;
    let answered = 0;
    server = await startVerlToolTestServer((body) => {
      if (body.finish?.[0] !== true) answered++;
      else if (answered > 0) {
        void server?.close();
        server = undefined;
      }
      return metisLikeReply(body);
    });
    try {
      const url = server.url;
      const { result, infrastructureStop } = await evaluateWithPolicy(
        policy,
        setup(url, { maxInfraFailures: 2 }),
      );
      expect(infrastructureStop).toMatchObject({ service: "tool-server", inARow: 2 });
      expect(result.notScored).toEqual({ "tool-server": 2, model: 0, judge: 0 });
      // t0 (with its tool), t1 and t3 were scored before t2 and t4 failed; t5 never started
      expect(result.n).toBe(3);
    } finally {
      await server?.close();
    }
  });

  it("an LLM judge that is down: the tasks only it could decide are not scored", async () => {
    const gone = createTestOpenAIServer({ models: ["judge"] });
    const judgeUrl = await gone.listen();
    await gone.close();
    // t1 answers in words: no rule decides that, so only the LLM judge could
    const wordy = new ScriptedPolicy(({ question }) => {
      const task = byQuestion.get(question)!;
      return task.id === "t1" ? "<answer>the product seven</answer>" : `<answer>${task.answer}</answer>`;
    });
    const judge = createJudge({
      llm: new LlmJudge({ baseURL: judgeUrl, model: "judge", retryDelayMs: 1, maxAttempts: 1 }),
      errorPolicy: "incorrect",
    });
    const { result } = await evaluateWithPolicy(wordy, setup(healthyTools.url, { judge }));
    expect(result.notScored).toEqual({ "tool-server": 0, model: 0, judge: 1 });
    expect(result.n).toBe(5);
    expect(result.accuracy).toBe(1);
  });
});

describe("evaluateWithPolicy's rollouts", () => {
  /** Every choice follows the turn's seed: a tool call or not, the right answer or not, or a failed rollout. */
  const bySeed = new ScriptedPolicy(({ request, step, question }) => {
    const task = byQuestion.get(question)!;
    const seed = request.sampling.seed ?? 0;
    if (seed % 7 === 0) return new Error(`refused at seed ${seed}`);
    if (step === 0 && seed % 3 === 0)
      return `<tool_call>${JSON.stringify({ name: "python", arguments: { code: `print(${seed % 97})` } })}</tool_call>`;
    return `<answer>${seed % 2 === 0 ? task.answer : "no"}</answer>`;
  });
  const many: Task[] = Array.from({ length: 24 }, (_, i) => ({
    id: `m${i}`,
    question: `Compute ${i} times 7.`,
    answer: String(i * 7),
    toolNecessity: i % 2 === 0 ? "required" : "unnecessary",
  }));

  it("are seeded by the run seed and the task alone: the same numbers and rollouts at any concurrency", async () => {
    for (const task of many) byQuestion.set(task.question, task);
    const server = await startVerlToolTestServer();
    try {
      const run = async (concurrency: number) => {
        const evaluation = await evaluateWithPolicy(
          new TurnSeededPolicy(bySeed, 11),
          setup(server.url, { tasks: many, seed: 11, concurrency }),
        );
        return { ...evaluation, result: { ...evaluation.result, wallMs: 0 } };
      };
      const serial = await run(1);
      // the tool server's sessions are the trajectories: one per task, named by the seed and the task
      const sessions = new Set(server.requests.map((r) => r.trajectory_ids[0]));
      expect([...sessions].every((id) => /^eval-11-m\d+$/.test(id!))).toBe(true);
      expect(serial.rollouts.map((r) => r.taskId)).toEqual(many.map((t) => t.id));
      // the seeds give a mix: some tool calls, some right, some refused (a positive control for the comparison)
      expect(serial.result.errors).toBeGreaterThan(0);
      expect(serial.result.toolRate).toBeGreaterThan(0);
      expect(serial.result.accuracy).toBeGreaterThan(0);
      expect(serial.result.accuracy).toBeLessThan(1);
      expect(serial.result.firstError).toBe(serial.rollouts.find((r) => r.finishReason === "error")!.error);
      expect(await run(5)).toEqual(serial);
      // another seed, another evaluation
      const other = await evaluateWithPolicy(
        new TurnSeededPolicy(bySeed, 12),
        setup(server.url, { tasks: many, seed: 12 }),
      );
      expect(other.rollouts).not.toEqual(serial.rollouts);
    } finally {
      for (const task of many) byQuestion.delete(task.question);
      await server.close();
    }
  });
});
