import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenAIChatPolicy } from "@hdpo/agent-loop";
import { createTestOpenAIServer, type TestOpenAIServer } from "@hdpo/agent-loop/testing";
import type { Task } from "@hdpo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCuration } from "../pipeline/run-curation";
import { createJudgeStage } from "./judge-stage";
import { createMixedStage } from "./mixed-stage";
import { createNecessityStage } from "./necessity-stage";

type Body = Record<string, unknown>;
interface WireMessage {
  role: string;
  content: string | { type: string; text?: string }[];
}

function messageText(message: WireMessage | undefined): string {
  if (message === undefined) return "";
  return typeof message.content === "string"
    ? message.content
    : message.content.map((part) => part.text ?? "").join("");
}

/** Which task a request is about: the first known question that appears in its messages. */
function questionOf(body: Body, questions: readonly string[]): string {
  const text = (body.messages as WireMessage[]).map(messageText).join("\n");
  const found = questions.find((question) => text.includes(question));
  if (found === undefined) throw new Error(`unexpected request: ${text.slice(0, 200)}`);
  return found;
}

const tasks: Task[] = [
  { id: "always", question: "What is 2 + 2?", answer: "4" },
  { id: "half", question: "What is 123 * 457?", answer: "56211" },
  { id: "never", question: "What is 98765 * 4321?", answer: "426763565" },
];
/** Correct answers out of each task's 8 attempts: pass rates 1, 0.5 and 0 by construction. */
const correctOf: Record<string, number> = {
  "What is 2 + 2?": 8,
  "What is 123 * 457?": 4,
  "What is 98765 * 4321?": 0,
};

describe("model stages with an OpenAI-compatible test server", () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "curate-models-"));
    input = join(dir, "tasks.jsonl");
    await writeFile(input, `${tasks.map((task) => JSON.stringify(task)).join("\n")}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const serve = async (reply: (body: Body) => { text: string }): Promise<[TestOpenAIServer, string]> => {
    const server = createTestOpenAIServer({ defaultReply: reply });
    return [server, await server.listen()];
  };

  it("necessity: pass@8 without tools drops the task solved every time and records passK", async () => {
    const seen = new Map<string, number>();
    const [server, baseURL] = await serve((body) => {
      const question = questionOf(body, Object.keys(correctOf));
      const n = seen.get(question) ?? 0;
      seen.set(question, n + 1);
      const answer = tasks.find((task) => task.question === question)!.answer as string;
      return {
        text: `<reason>thinking</reason><answer>${n < correctOf[question]! ? answer : "17"}</answer>`,
      };
    });
    try {
      const policy = new OpenAIChatPolicy({ baseURL, logprobs: false });
      const output = join(dir, "necessity.jsonl");
      const result = await runCuration({
        input,
        output,
        rejected: join(dir, "necessity-rejected.jsonl"),
        stages: [createNecessityStage({ policy, k: 8, concurrency: 4 })],
        reportDir: join(dir, "necessity-report"),
      });
      expect(result.completed).toBe(true);
      const kept = (await readFile(output, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(kept.map((row) => [row.id, row.extraInfo.passK, row.extraInfo.pass8])).toEqual([
        ["half", 0.5, 0.5],
        ["never", 0, 0],
      ]);
      const rejected = JSON.parse((await readFile(result.rejected, "utf8")).trim());
      expect(rejected).toMatchObject({ id: "always", stage: "necessity", reason: "solved-without-tools" });
      expect(rejected.annotations.passK).toBe(1);
      // No tools were offered: no request carried tools, and the system message says so.
      const chats = server.requests.filter((request) => request.path === "/chat/completions");
      expect(chats).toHaveLength(24);
      expect(chats.every((request) => request.body?.tools === undefined)).toBe(true);
      expect(messageText((chats[0]!.body!.messages as WireMessage[])[0])).toContain("No tools are available");
      expect(result.stats!.passK.sort()).toEqual([0, 0.5, 1]);
      const markdown = await readFile(result.report!.markdown, "utf8");
      expect(markdown).toContain("| necessity | solved-without-tools | rejected | 1 |");
      expect(markdown).toContain("![Pass rate without tools (necessity, passK)](pass-rate-necessity.png)");
      const png = await readFile(join(dir, "necessity-report", "pass-rate-necessity.png"));
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
      const html = await readFile(result.report!.html, "utf8");
      expect(html).toContain('data-plot="pass-rate-necessity"');
    } finally {
      await server.close();
    }
  });

  it("necessity: an endpoint refusing the requests (400) gives error decisions, never scores, and --retry-errors decides them later", async () => {
    const [server, baseURL] = await serve((body) => {
      const question = questionOf(body, Object.keys(correctOf));
      return { text: `<answer>${question === "What is 2 + 2?" ? "4" : "17"}</answer>` };
    });
    try {
      const policy = new OpenAIChatPolicy({ baseURL, model: "test-model", logprobs: false, maxRetries: 0 });
      // Every request fails until the queue of failures runs out (24 = all attempts of the first run).
      // (A 400 is the request's fault; an outage, 5xx or a refused connection, is outages.test.ts's matter.)
      server.failNext(...Array.from({ length: 24 }, () => ({ kind: "status" as const, status: 400 })));
      const output = join(dir, "errors.jsonl");
      const options = {
        input,
        output,
        rejected: join(dir, "errors-rejected.jsonl"),
        stages: [createNecessityStage({ policy, k: 8, concurrency: 4 })],
      };
      const first = await runCuration(options);
      expect(first.stats).toMatchObject({ kept: 0, rejected: 0, errors: 3 });
      const errors = (await readFile(first.rejected, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(errors.every((row) => row.decision === "error" && row.reason === "model-error")).toBe(true);
      expect(errors.every((row) => row.annotations === undefined)).toBe(true);
      // Without --retry-errors a rerun changes nothing; with it, the rows are decided.
      expect(
        (await runCuration({ ...options, stages: [createNecessityStage({ policy, k: 8 })] })).processed,
      ).toBe(0);
      const retried = await runCuration({
        ...options,
        stages: [createNecessityStage({ policy, k: 8 })],
        retryErrors: true,
      });
      expect(retried.processed).toBe(3);
      expect(retried.stats).toMatchObject({ kept: 2, rejected: 1, errors: 0 });
    } finally {
      await server.close();
    }
  });

  it("mixed: k rollouts with a real python tool keep only tasks strictly inside the band", async () => {
    const seen = new Map<string, number>();
    const [server, baseURL] = await serve((body) => {
      const question = questionOf(body, Object.keys(correctOf));
      const messages = body.messages as WireMessage[];
      const last = messageText(messages[messages.length - 1]);
      if (!last.includes("Code execution result")) {
        const code = "print(123 * 457)";
        return {
          text: `<reason>compute</reason><tool_call>${JSON.stringify({ name: "python", arguments: { code } })}</tool_call>`,
        };
      }
      const n = seen.get(question) ?? 0;
      seen.set(question, n + 1);
      const answer = tasks.find((task) => task.question === question)!.answer as string;
      return { text: `<reason>read it</reason><answer>${n < correctOf[question]! ? answer : "17"}</answer>` };
    });
    try {
      const policy = new OpenAIChatPolicy({ baseURL, logprobs: false });
      const output = join(dir, "mixed.jsonl");
      const result = await runCuration({
        input,
        output,
        rejected: join(dir, "mixed-rejected.jsonl"),
        stages: [createMixedStage({ policy, k: 8, concurrency: 4, runtimeOptions: { workers: 2 } })],
      });
      const kept = (await readFile(output, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(kept.map((row) => [row.id, row.extraInfo.mixedSuccessRate])).toEqual([["half", 0.5]]);
      const rejected = (await readFile(result.rejected, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(rejected.map((row) => [row.id, row.reason])).toEqual([
        ["always", "all-correct"],
        ["never", "all-wrong"],
      ]);
      // Every rollout ran the tool: one observation request per rollout reached the model.
      const observed = server.requests.filter((request) =>
        JSON.stringify(request.body?.messages ?? "").includes("56211"),
      );
      expect(observed.length).toBeGreaterThanOrEqual(24);
    } finally {
      await server.close();
    }
  });

  it("judge: rubric scores keep or reject rows, and a malformed reply is an error, not a score", async () => {
    const replies: Record<string, string> = {
      "What is 2 + 2?":
        '{"visual_relevance": 5, "reasoning_coherence": 4, "tool_use_rationale": 5, "reason": "clear and direct"}',
      "What is 123 * 457?":
        '```json\n{"visual_relevance": 5, "reasoning_coherence": 2, "tool_use_rationale": 4, "reason": "the steps contradict"}\n```',
      "What is 98765 * 4321?": "Looks fine to me, I would give it a 4.",
    };
    const [server, baseURL] = await serve((body) => ({
      text: replies[questionOf(body, Object.keys(replies))]!,
    }));
    try {
      const output = join(dir, "judge.jsonl");
      const result = await runCuration({
        input,
        output,
        rejected: join(dir, "judge-rejected.jsonl"),
        stages: [createJudgeStage({ baseURL, concurrency: 2 })],
      });
      const kept = (await readFile(output, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(kept).toHaveLength(1);
      expect(kept[0].id).toBe("always");
      expect(kept[0].extraInfo.judge).toEqual({
        visual_relevance: 5,
        reasoning_coherence: 4,
        tool_use_rationale: 5,
        reason: "clear and direct",
      });
      const rejected = (await readFile(result.rejected, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(rejected[0]).toMatchObject({
        id: "half",
        decision: "reject",
        reason: "low-reasoning-coherence",
      });
      expect(rejected[0].detail).toContain("the steps contradict");
      expect(rejected[0].annotations.judge.reasoning_coherence).toBe(2);
      expect(rejected[1]).toMatchObject({ id: "never", decision: "error", reason: "judge-malformed" });
      expect(rejected[1].annotations).toBeUndefined();
      expect(result.stats!.errors).toBe(1);
      const request = server.requests.find((r) => r.path === "/chat/completions")!;
      expect(request.body!.temperature).toBe(0);
    } finally {
      await server.close();
    }
  });
});
