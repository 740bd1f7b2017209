import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTestOpenAIServer, type ScriptedReply } from "@hdpo/agent-loop/testing";
import { readPredictions } from "@hdpo/evaluation";
import { describe, expect, it } from "vitest";
import { tempDir, testConfig } from "../test-support/evaluation-fixture";
import { runEvaluation } from "./run-evaluation";
import { createToolExecutor } from "./tool-executor-factory";

/** A model that computes with python, then answers with the last number it saw in the observation. */
function computingModel(body: Record<string, unknown>): ScriptedReply {
  const messages = body.messages as { role: string; content: unknown }[];
  const user = messages.filter((m) => m.role === "user" || m.role === "tool");
  if (user.length === 1) {
    const code = (user[0]!.content as string).includes("17") ? "print(17 * 23)" : "x = 6\nprint(x * 7)";
    if (Array.isArray(body.tools))
      return { text: "", toolCalls: [{ name: "python", arguments: JSON.stringify({ code }) }] };
    return {
      text: `<reason>compute</reason><tool_call>${JSON.stringify({ name: "python", arguments: { code } })}</tool_call>`,
    };
  }
  const observation = JSON.stringify(user.at(-1)!.content);
  const numbers = observation.match(/\d+/g) ?? [];
  return { text: `<answer>${numbers.at(-1) ?? "none"}</answer>` };
}

describe("--tools local (in-process @hdpo/tools: sandboxed Python)", () => {
  it("runs the model's python calls for real and scores what they printed, text and native protocols", async () => {
    const server = createTestOpenAIServer({ models: ["m"], defaultReply: computingModel });
    const baseUrl = await server.listen();
    try {
      const dir = await tempDir("hdpo-eval-local-");
      const data = join(dir, "data.jsonl");
      await writeFile(
        data,
        `${JSON.stringify({ id: "a", question: "What is 17 * 23?", answer: "391", toolNecessity: "required" })}\n${JSON.stringify({ id: "b", question: "What is 6 * 7?", answer: "42" })}\n`,
      );
      for (const nativeTools of [false, true]) {
        const out = join(dir, nativeTools ? "native" : "text");
        const result = await runEvaluation(testConfig({ data, out, baseUrl, tools: "local", nativeTools }));
        expect(result.summary).toMatchObject({
          n: 2,
          accuracy: 1,
          toolUseRate: 1,
          toolCallsByName: { python: 2 },
          missedToolRate: 0,
        });
        const predictions = (await readPredictions(join(out, "predictions.jsonl"))).predictions;
        expect(predictions.find((p) => p.id === "a")!.response).toContain("391");
        const config = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
        expect(config.tools).toBe("local");
      }
      // The model was offered @hdpo/tools' own python schema, natively.
      const native = server.requests.find((r) => Array.isArray(r.body?.tools));
      expect((native!.body!.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual([
        "python",
      ]);
    } finally {
      await server.close();
    }
  });

  it("offers search only when the environment configures it", async () => {
    const tools = await createToolExecutor({ kind: "local" });
    try {
      expect(tools.schemas.map((s) => s.function.name)).toEqual(
        process.env.SEARCH_PROVIDER || process.env.HDPO_SEARCH_CORPUS ? ["python", "search"] : ["python"],
      );
      const observation = await tools.executor.execute(
        "t1",
        '<tool_call>{"name":"python","arguments":{"code":"print(2 ** 10)"}}</tool_call>',
      );
      expect(observation.valid).toBe(true);
      expect(observation.text).toContain("1024");
      await tools.executor.close("t1");
    } finally {
      await tools.close?.();
    }
  });
});
