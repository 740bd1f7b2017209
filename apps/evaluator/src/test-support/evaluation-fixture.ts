import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestOpenAIServer, type ScriptedReply, type TestOpenAIServer } from "@hdpo/agent-loop/testing";
import type { Summary } from "@hdpo/evaluation";
import { afterAll } from "vitest";
import { RUN_DEFAULTS, type RunConfig } from "../run/run-config";

/** How the scripted model behaves on one item. */
export interface ScriptedItem {
  id: string;
  answer: string | string[];
  category?: string;
  toolNecessity?: "required" | "unnecessary";
  choices?: string[];
  /** Call python once before answering. */
  useTool: boolean;
  /** What the model answers. */
  reply: string;
}

/**
 * Nine items with hand-computable metrics. Rules alone: correct m1 m2 m3 v2 v3 o1 → 6/9; tool use m2 m3 v1 v3 →
 * 4/9; unnecessary {m1, m2, v2}: blind 1/3; required {m3, m4, v1}: missed (m4) 1/3. Rules cannot decide v1
 * ("cat" vs "dog") and o2 ("the city of Paris" vs "Paris"): those go to an LLM judge when there is one.
 */
export const SCRIPTED_ITEMS: readonly ScriptedItem[] = [
  { id: "m1", category: "math", toolNecessity: "unnecessary", answer: "4", useTool: false, reply: "4" },
  { id: "m2", category: "math", toolNecessity: "unnecessary", answer: "6", useTool: true, reply: "6" },
  { id: "m3", category: "math", toolNecessity: "required", answer: "391", useTool: true, reply: "391" },
  { id: "m4", category: "math", toolNecessity: "required", answer: "391", useTool: false, reply: "390" },
  { id: "v1", category: "vision", toolNecessity: "required", answer: "dog", useTool: true, reply: "cat" },
  {
    id: "v2",
    category: "vision",
    toolNecessity: "unnecessary",
    answer: ["blue", "navy"],
    useTool: false,
    reply: "navy",
  },
  { id: "v3", category: "vision", answer: "B", choices: ["red", "green"], useTool: true, reply: "B" },
  { id: "o1", answer: "paris", useTool: false, reply: "Paris" },
  { id: "o2", answer: "Paris", useTool: false, reply: "the city of Paris" },
];

/** The question text of an item: the scripted model recognises items by it. */
export function questionOf(id: string): string {
  return `Question ${id}: what is the answer?`;
}

/** Writes the items as a JSONL dataset. */
export async function writeScriptedDataset(
  dir: string,
  items: readonly ScriptedItem[] = SCRIPTED_ITEMS,
): Promise<string> {
  const path = join(dir, "data.jsonl");
  const lines = items.map((item) =>
    JSON.stringify({
      id: item.id,
      question: questionOf(item.id),
      answer: item.answer,
      ...(item.category === undefined ? {} : { category: item.category }),
      ...(item.toolNecessity === undefined ? {} : { toolNecessity: item.toolNecessity }),
      ...(item.choices === undefined ? {} : { choices: item.choices }),
    }),
  );
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

interface WireMessage {
  role: string;
  content: unknown;
}

/**
 * The scripted model on the test OpenAI server: it finds the item by its question, calls python once (text
 * protocol, or a native tool call when the request carries tools) when the item says so, and answers after the
 * observation.
 */
export function scriptedModelReply(items: readonly ScriptedItem[] = SCRIPTED_ITEMS) {
  const byQuestion = new Map(items.map((item) => [questionOf(item.id), item]));
  return (body: Record<string, unknown>): ScriptedReply => {
    const messages = body.messages as WireMessage[];
    const question = messages.find((m) => m.role === "user")?.content;
    const item = typeof question === "string" ? byQuestion.get(question) : undefined;
    if (item === undefined) return { text: "<answer>unknown item</answer>" };
    const observed = messages.length > 2;
    if (item.useTool && !observed) {
      if (Array.isArray(body.tools)) {
        return {
          text: "",
          toolCalls: [{ name: "python", arguments: JSON.stringify({ code: `print("${item.id}")` }) }],
        };
      }
      return {
        text: `<reason>I should compute this.</reason><tool_call>{"name": "python", "arguments": {"code": "print('${item.id}')"}}</tool_call>`,
      };
    }
    return { text: `<reason>I know it.</reason><answer>${item.reply}</answer>` };
  };
}

/** A started scripted model. */
export async function startScriptedModel(
  items?: readonly ScriptedItem[],
): Promise<{ server: TestOpenAIServer; baseUrl: string }> {
  const server = createTestOpenAIServer({
    models: ["scripted-model"],
    defaultReply: scriptedModelReply(items),
  });
  return { server, baseUrl: await server.listen() };
}

const created: string[] = [];
// Registered while the importing test file is collected: its folders go when the file's tests are done.
afterAll(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temporary folder, removed after the test file. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A run config with the defaults and small concurrency. */
export function testConfig(
  overrides: Partial<RunConfig> & Pick<RunConfig, "data" | "out" | "baseUrl" | "tools">,
): RunConfig {
  return { ...RUN_DEFAULTS, concurrency: 3, ...overrides };
}

/** A summary without the fields that measure time, which differ between any two runs. */
export function deterministicPart(
  summary: Summary,
): Omit<Summary, "latencyMs" | "timeMs" | "modelTimeShare"> {
  const { latencyMs: _l, timeMs: _t, modelTimeShare: _m, ...rest } = summary;
  return rest;
}
