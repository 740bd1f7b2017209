/** What an action (the model's turn text, or an OpenAI tool call) asks for, or why it asks for nothing usable. */
export type ParsedAction =
  /** A known tool with an object of arguments (`{}` when the call has none). */
  | { kind: "ok"; name: string; arguments: Record<string, unknown>; raw: string }
  /** The action is longer than the parser's cap (`length` and `limit` in characters); it was not read. */
  | { kind: "too-long"; length: number; limit: number }
  /** No `<tool_call>…</tool_call>` block in the text. */
  | { kind: "no-block" }
  /** The block (or an OpenAI call's `arguments` string) is not JSON. */
  | { kind: "bad-json"; raw: string; message: string }
  /** The call, or its `arguments`, is JSON but not an object; `pythonType` names it as the reference's error does. */
  | { kind: "not-object"; raw: string; part: "call" | "arguments"; pythonType: string; name?: string }
  /** `name` is missing or names no tool; `name` is spelled as the reference prints it (Python `str`). */
  | { kind: "unknown-tool"; raw: string; name: string; missing: boolean };

/** Anything that can say whether a tool name is known (a `ToolRegistry`). */
export interface KnownTools {
  has(name: string): boolean;
}
