import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ToolsError } from "../tools-error";
import { createBuiltinRegistry } from "./builtin-tools";
import { defineTool } from "./define-tool";
import { openAITools } from "./openai-tools";
import { readToolArguments, ToolRegistry } from "./tool-registry";
import { observationReply } from "./tool-reply";

const echo = defineTool({
  name: "echo",
  description: "Echoes its text.",
  inputSchema: z.object({ text: z.string().min(1), times: z.number().int().optional() }),
  async execute(args) {
    // `args` is typed from the schema: text is a string, times a number or undefined.
    return observationReply({ obs: args.text.repeat(args.times ?? 1), metrics: {}, timeout: false });
  },
});

describe("ToolRegistry", () => {
  it("finds built-in tools by name and alias", () => {
    const registry = createBuiltinRegistry();
    expect(registry.get("python")?.name).toBe("python");
    expect(registry.get("search")?.name).toBe("search");
    expect(registry.get("text_search")?.name).toBe("search");
    expect(registry.get("image_search")?.name).toBe("image_search");
    expect(registry.get("finish")).toBeUndefined();
    expect(registry.list().map((tool) => tool.name)).toEqual(["python", "search", "image_search"]);
  });

  it("refuses a name or alias that is already taken", () => {
    const registry = createBuiltinRegistry();
    expect(() => registry.register({ ...echo, name: "python" })).toThrow(ToolsError);
    expect(() => registry.register({ ...echo, aliases: ["text_search"] })).toThrow(
      /already used by tool "search"/,
    );
    expect(registry.has("echo")).toBe(false);
  });

  it("validates arguments of a tool without its own reader against its schema", () => {
    const registry = new ToolRegistry().register(echo);
    const tool = registry.get("echo")!;
    expect(readToolArguments(tool, { text: "hi", times: 2 })).toEqual({
      ok: true,
      args: { text: "hi", times: 2 },
    });
    const bad = readToolArguments(tool, { text: "" });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.reply).toMatchObject({ done: false, valid: false, tool: "echo" });
    expect(bad.reply.observation).toMatchObject({
      obs: expect.stringMatching(/^Error: Invalid arguments for tool 'echo': .*text/s),
    });
  });
});

describe("openAITools", () => {
  it("gives one function tool per tool with its zod schema as JSON Schema", () => {
    const tools = openAITools(createBuiltinRegistry().register(echo));
    expect(tools.map((tool) => tool.function.name)).toEqual(["python", "search", "image_search", "echo"]);
    for (const tool of tools) {
      expect(tool.type).toBe("function");
      expect(tool.function.description.length).toBeGreaterThan(10);
      expect(tool.function.parameters).not.toHaveProperty("$schema");
      expect(tool.function.parameters.type).toBe("object");
    }
    const [python, search, imageSearch, custom] = tools;
    expect(python?.function.parameters).toEqual({
      type: "object",
      properties: { code: { type: "string", description: "The Python code to run." } },
      required: ["code"],
      additionalProperties: false,
    });
    expect(search?.function.parameters).toMatchObject({
      required: ["query"],
      properties: { query: { type: "string" } },
    });
    expect(imageSearch?.function.parameters).toEqual({
      type: "object",
      properties: {},
      additionalProperties: false,
    });
    expect(custom?.function.parameters).toMatchObject({
      properties: { text: { type: "string", minLength: 1 }, times: { type: "integer" } },
      required: ["text"],
    });
  });
});
