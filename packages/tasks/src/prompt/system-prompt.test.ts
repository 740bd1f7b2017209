import { describe, expect, it } from "vitest";
import { type OpenAIFunctionToolSchema, systemPrompt } from "./system-prompt";

const python: OpenAIFunctionToolSchema = {
  type: "function",
  function: { name: "python", description: "Run Python.", parameters: { type: "object" } },
};
const search: OpenAIFunctionToolSchema = {
  type: "function",
  function: { name: "search", description: "Search." },
};

describe("systemPrompt", () => {
  it("opens as the reference's rows do and lists the task's tools under # Tools", () => {
    const text = systemPrompt({ tools: [python, search] });
    expect(text.startsWith("You are an efficient problem-solving agent.")).toBe(true);
    expect(text).toContain("# Tools\nYou may call the following tools");
    expect(text).toContain(JSON.stringify(python.function));
    expect(text).toContain(JSON.stringify(search.function));
    expect(text).toContain('<tool_call>{"name": "<tool name>", "arguments": {...}}</tool_call>');
    expect(text).toContain("<reason>...</reason>");
    expect(text).toContain("<answer>...</answer>");
  });

  it('says "the following tool" for one tool, as the reference\'s math rows do', () => {
    const text = systemPrompt({ tools: [python] });
    expect(text).toContain("You may call the following tool when");
    expect(text).not.toContain('"name":"search"');
  });

  it("leaves the tools section out without tools, and with native tools (they travel in the request)", () => {
    expect(systemPrompt({ tools: [] })).not.toContain("# Tools");
    const native = systemPrompt({ tools: [python], nativeTools: true });
    expect(native).not.toContain("# Tools");
    expect(native).not.toContain("<tool_call>");
    expect(native).toContain("<answer>...</answer>");
  });
});
