import { describe, expect, it } from "vitest";
import { actionErrorReply } from "./action-error-reply";
import { DEFAULT_MAX_ACTION_CHARS, parseOpenAIToolCall, parseToolCallText } from "./parse-tool-call";
import type { ParsedAction } from "./parsed-action";

const call = (json: string): string => `<reason>thinking</reason>\n<tool_call>${json}</tool_call>`;

describe("parseToolCallText", () => {
  const cases: { name: string; action: string; expected: Partial<ParsedAction> }[] = [
    { name: "no block", action: "<answer>42</answer>", expected: { kind: "no-block" } },
    {
      name: "unclosed block",
      action: '<tool_call>{"name":"python","arguments":{"code":"1"}}',
      expected: { kind: "no-block" },
    },
    {
      name: "bad JSON",
      action: call('{"name": "python", "arguments": {"code": "1"}'),
      expected: { kind: "bad-json" },
    },
    { name: "empty block", action: call(""), expected: { kind: "bad-json" } },
    {
      name: "JSON list",
      action: call("[1, 2]"),
      expected: { kind: "not-object", part: "call", pythonType: "list" },
    },
    {
      name: "JSON string",
      action: call('"python"'),
      expected: { kind: "not-object", part: "call", pythonType: "str" },
    },
    {
      name: "arguments a string",
      action: call('{"name": "python", "arguments": "print(1)"}'),
      expected: { kind: "not-object", part: "arguments", pythonType: "str", name: "python" },
    },
    {
      name: "arguments null",
      action: call('{"name": "search", "arguments": null}'),
      expected: { kind: "not-object", part: "arguments", pythonType: "NoneType" },
    },
    {
      name: "missing name",
      action: call('{"arguments": {"code": "1"}}'),
      expected: { kind: "unknown-tool", name: "None", missing: true },
    },
    {
      name: "unknown name",
      action: call('{"name": "bash", "arguments": {"cmd": "ls"}}'),
      expected: { kind: "unknown-tool", name: "bash", missing: false },
    },
    {
      name: "non-string name",
      action: call('{"name": 7, "arguments": {}}'),
      expected: { kind: "unknown-tool", name: "7", missing: false },
    },
    {
      name: "ok python",
      action: call('{"name": "python", "arguments": {"code": "x = 1"}}'),
      expected: { kind: "ok", name: "python", arguments: { code: "x = 1" } },
    },
    {
      name: "alias text_search",
      action: call('{"name": "text_search", "arguments": {"query": "q"}}'),
      expected: { kind: "ok", name: "text_search", arguments: { query: "q" } },
    },
    {
      name: "missing arguments are {}",
      action: call('{"name": "image_search"}'),
      expected: { kind: "ok", name: "image_search", arguments: {} },
    },
    {
      name: "multi-line JSON (DOTALL)",
      action: call('{\n  "name": "python",\n  "arguments": {"code": "a = 1\\nb = {\\"k\\": [1, {}]}"}\n}'),
      expected: { kind: "ok", arguments: { code: 'a = 1\nb = {"k": [1, {}]}' } },
    },
    {
      name: "last block wins",
      action: `${call('{"name": "python", "arguments": {"code": "first"}}')} then ${call('{"name": "search", "arguments": {"query": "second"}}')}`,
      expected: { kind: "ok", name: "search", arguments: { query: "second" } },
    },
    {
      name: "last block wins even when it is bad",
      action: `${call('{"name": "python", "arguments": {"code": "first"}}')} ${call("{oops")}`,
      expected: { kind: "bad-json" },
    },
    {
      name: "</tool_call> inside a JSON string",
      action: call('{"name": "python", "arguments": {"code": "print(\'</tool_call>\')"}}'),
      expected: { kind: "ok", name: "python", arguments: { code: "print('</tool_call>')" } },
    },
    {
      name: "a whole tag pair inside a JSON string",
      action: call('{"name": "python", "arguments": {"code": "s = \'<tool_call>{}</tool_call>\'"}}'),
      expected: { kind: "ok", arguments: { code: "s = '<tool_call>{}</tool_call>'" } },
    },
  ];

  it.each(cases)("$name", ({ action, expected }) => {
    expect(parseToolCallText(action)).toMatchObject(expected);
  });

  it("keeps the raw block text of the last block", () => {
    const parsed = parseToolCallText(call(' {"name":"python","arguments":{"code":"1"}} '));
    expect(parsed).toMatchObject({ kind: "ok", raw: ' {"name":"python","arguments":{"code":"1"}} ' });
  });

  it("uses a caller's tool names", () => {
    const tools = { has: (name: string) => name === "calculator" };
    expect(parseToolCallText(call('{"name":"calculator","arguments":{}}'), tools)).toMatchObject({
      kind: "ok",
    });
    expect(parseToolCallText(call('{"name":"python","arguments":{}}'), tools)).toMatchObject({
      kind: "unknown-tool",
    });
  });

  it("never throws on hostile text full of tags", () => {
    const action = "<tool_call>{".repeat(500) + "</tool_call>}".repeat(500);
    expect(parseToolCallText(action).kind).toBe("bad-json");
  });
});

/** Runs `parse` and returns its result with the wall time, for the freeze guards below. */
function timed<T>(parse: () => T): { result: T; ms: number } {
  const began = performance.now();
  const result = parse();
  return { result, ms: performance.now() - began };
}

// Freeze guards, not speed tests: each shape took seconds with the old regex parser (60,000 unclosed tags: 5-13 s,
// quadratic) and takes milliseconds now; 2 s only catches a return of the quadratic scan.
const FREEZE_GUARD_MS = 2000;
const noCap = { maxActionChars: Number.POSITIVE_INFINITY };

describe("parseToolCallText on hostile actions", () => {
  it("refuses an action over the cap unread, and answers it like unparseable text with the reason", () => {
    const action = "<tool_call>".repeat(60_000);
    const { result, ms } = timed(() => parseToolCallText(action));
    expect(ms).toBeLessThan(FREEZE_GUARD_MS);
    expect(result).toEqual({ kind: "too-long", length: 660_000, limit: DEFAULT_MAX_ACTION_CHARS });
    if (result.kind === "ok") throw new Error("expected an error outcome");
    expect(actionErrorReply(result)).toEqual({
      observation:
        "Error: the action is 660000 characters long, over the 262144-character limit; it was not parsed. Send a shorter tool call.",
      done: false,
      valid: false,
    });
    // Positive control: at the cap exactly, a real call still parses.
    const json = '{"name":"python","arguments":{"code":"x = 1"}}';
    const atCap = `${"r".repeat(DEFAULT_MAX_ACTION_CHARS - json.length - 23)}<tool_call>${json}</tool_call>`;
    expect(atCap.length).toBe(DEFAULT_MAX_ACTION_CHARS);
    expect(parseToolCallText(atCap)).toMatchObject({ kind: "ok", name: "python" });
    expect(parseToolCallText(atCap, undefined, { maxActionChars: atCap.length - 1 }).kind).toBe("too-long");
  });

  it.each([
    { name: "60,000 unclosed opening tags", action: "<tool_call>".repeat(60_000), kind: "no-block" },
    {
      name: "60,000 opening tags after a lone closing tag",
      action: `</tool_call>${"<tool_call>".repeat(60_000)}`,
      kind: "no-block",
    },
    {
      name: "20,000 opening then 20,000 closing tags",
      action: "<tool_call>".repeat(20_000) + "</tool_call>".repeat(20_000),
      kind: "bad-json",
    },
    {
      name: "tags interleaved with braces",
      action: "<tool_call>{".repeat(30_000) + "</tool_call>}".repeat(30_000),
      kind: "bad-json",
    },
    { name: "1 MB of {", action: `<tool_call>${"{".repeat(1 << 20)}</tool_call>`, kind: "bad-json" },
    { name: "1 MB of { with no tags", action: "{".repeat(1 << 20), kind: "no-block" },
  ])("stays linear with the cap lifted: $name", ({ action, kind }) => {
    const { result, ms } = timed(() => parseToolCallText(action, undefined, noCap));
    expect(ms).toBeLessThan(FREEZE_GUARD_MS);
    expect(result.kind).toBe(kind);
  });

  it("answers bad-json for JSON nested past the depth limit, where stringifying the name used to throw", () => {
    const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
    // Before: a RangeError (stack overflow) escaped the parser here, which must never throw.
    const deepName = parseToolCallText(`<tool_call>{"name":${deep(100_000)}}</tool_call>`);
    expect(deepName).toMatchObject({ kind: "bad-json", message: expect.stringMatching(/deeper than 512/) });
    const deepArgs = parseToolCallText(
      `<tool_call>{"name":"python","arguments":{"code":"1","x":${deep(600)}}}</tool_call>`,
    );
    expect(deepArgs.kind).toBe("bad-json");
    // Positive control: nesting within the limit still parses.
    const fine = parseToolCallText(
      `<tool_call>{"name":"python","arguments":{"code":"1","x":${deep(500)}}}</tool_call>`,
    );
    expect(fine).toMatchObject({ kind: "ok", name: "python" });
  });
});

describe("parseOpenAIToolCall on hostile calls", () => {
  it("refuses an arguments string over the cap and values nested past the depth limit, without throwing", () => {
    const long = parseOpenAIToolCall({ function: { name: "python", arguments: " ".repeat(300_000) } });
    expect(long).toEqual({ kind: "too-long", length: 300_000, limit: DEFAULT_MAX_ACTION_CHARS });
    let nested: unknown = {};
    for (let i = 0; i < 100_000; i++) nested = { a: nested };
    expect(parseOpenAIToolCall({ function: { name: "python", arguments: nested } }).kind).toBe("bad-json");
    expect(parseOpenAIToolCall({ function: { name: nested, arguments: {} } }).kind).toBe("bad-json");
    expect(
      parseOpenAIToolCall({ function: { name: "python", arguments: `{"x":${"[".repeat(5000)}` } }).kind,
    ).toBe("bad-json");
  });
});

describe("parseOpenAIToolCall", () => {
  const cases: {
    name: string;
    call: Parameters<typeof parseOpenAIToolCall>[0];
    expected: Partial<ParsedAction>;
  }[] = [
    {
      name: "ok",
      call: { id: "c1", type: "function", function: { name: "python", arguments: '{"code":"x=1"}' } },
      expected: { kind: "ok", name: "python", arguments: { code: "x=1" } },
    },
    {
      name: "empty arguments string",
      call: { function: { name: "image_search", arguments: "" } },
      expected: { kind: "ok", arguments: {} },
    },
    {
      name: "object arguments",
      call: { function: { name: "search", arguments: { query: "q" } } },
      expected: { kind: "ok", arguments: { query: "q" } },
    },
    {
      name: "bad JSON arguments",
      call: { function: { name: "python", arguments: "{code:" } },
      expected: { kind: "bad-json" },
    },
    {
      name: "non-object arguments",
      call: { function: { name: "python", arguments: "[1]" } },
      expected: { kind: "not-object", part: "arguments", pythonType: "list" },
    },
    {
      name: "unknown name",
      call: { function: { name: "bash", arguments: "{}" } },
      expected: { kind: "unknown-tool", name: "bash" },
    },
    {
      name: "missing name",
      call: { function: { arguments: "{}" } },
      expected: { kind: "unknown-tool", name: "None", missing: true },
    },
  ];

  it.each(cases)("$name", ({ call: toolCall, expected }) => {
    expect(parseOpenAIToolCall(toolCall)).toMatchObject(expected);
  });
});

describe("actionErrorReply", () => {
  it('answers "" (a string), valid=false, done=false for no block and bad JSON', () => {
    for (const action of ["no call here", call("{bad")]) {
      const parsed = parseToolCallText(action);
      if (parsed.kind === "ok") throw new Error("expected an error outcome");
      expect(actionErrorReply(parsed)).toEqual({ observation: "", done: false, valid: false });
    }
  });

  it("answers the reference's no-handler object for an unknown or missing name", () => {
    const unknown = parseToolCallText(call('{"name":"bash","arguments":{}}'));
    const missing = parseToolCallText(call('{"arguments":{}}'));
    if (unknown.kind === "ok" || missing.kind === "ok") throw new Error("expected error outcomes");
    expect(actionErrorReply(unknown)).toEqual({
      observation: {
        obs: "Error: No handler found for tool 'bash'.",
        image: [],
        metrics: {},
        timeout: false,
      },
      done: false,
      valid: false,
    });
    expect(actionErrorReply(missing).observation).toMatchObject({
      obs: "Error: No handler found for tool 'None'.",
    });
  });

  it("answers the tool-exception shape (done=true) for non-object JSON or arguments", () => {
    const list = parseToolCallText(call("[1]"));
    const args = parseToolCallText(call('{"name":"python","arguments":"x"}'));
    if (list.kind === "ok" || args.kind === "ok") throw new Error("expected error outcomes");
    expect(actionErrorReply(list)).toEqual({
      observation: {
        obs: "",
        error: "Tool processing failed: 'list' object has no attribute 'get'",
        tool_type: "metis",
      },
      done: true,
      valid: false,
    });
    expect(actionErrorReply(args)).toMatchObject({
      observation: {
        obs: "",
        error: "Tool processing failed: 'str' object has no attribute 'get'",
        tool_type: "metis",
      },
      done: true,
      valid: false,
      tool: "python",
    });
  });
});
