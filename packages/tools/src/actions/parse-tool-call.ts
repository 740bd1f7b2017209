import { createBuiltinRegistry } from "../registry/builtin-tools";
import type { KnownTools, ParsedAction } from "./parsed-action";
import { isJsonObject, pythonStr, pythonTypeName } from "./python-values";

export const TOOL_CALL_OPEN = "<tool_call>";
export const TOOL_CALL_CLOSE = "</tool_call>";

/** The reference's pattern: `<tool_call>(.*?)</tool_call>` with DOTALL, of which the LAST match is used. */
const TOOL_CALL_BLOCK = /<tool_call>(.*?)<\/tool_call>/gs;

/** Bounds the work of the recovery below on hostile text full of tags. */
const MAX_RECOVERY_ATTEMPTS = 64;

const BUILTIN_TOOLS = createBuiltinRegistry();

/**
 * Reads the tool call of a model turn as the reference's server does: the last `<tool_call>…</tool_call>` block,
 * JSON-parsed. One extension: when that block is not JSON because a JSON string inside it contains a
 * `</tool_call>` or `<tool_call>` tag (code that prints one), the span from an earlier opening tag to a later closing
 * tag that parses as a JSON object is used instead (the reference answers "" there). It never throws.
 */
export function parseToolCallText(action: string, tools: KnownTools = BUILTIN_TOOLS): ParsedAction {
  const last = [...action.matchAll(TOOL_CALL_BLOCK)].at(-1);
  if (last === undefined) return { kind: "no-block" };
  const raw = last[1] ?? "";
  const parsed = parseJson(raw);
  if (parsed.ok) return readCall(parsed.value, raw, tools);
  const contentStart = last.index + TOOL_CALL_OPEN.length;
  const recovered = recoverBlock(action, last.index, contentStart + raw.length);
  if (recovered !== undefined) return readCall(recovered.value, recovered.raw, tools);
  return { kind: "bad-json", raw, message: parsed.message };
}

/** An OpenAI `tool_calls[]` entry (chat completions); `arguments` is a JSON string there. */
export interface OpenAIToolCallLike {
  id?: string;
  type?: string;
  function: { name?: unknown; arguments?: unknown };
}

/**
 * Reads an OpenAI tool call with the same outcomes as `parseToolCallText`: `arguments` that are not JSON give
 * "bad-json", an empty `arguments` string means no arguments, an object in `arguments` (some clients send one) is
 * taken as is. It never throws.
 */
export function parseOpenAIToolCall(
  call: OpenAIToolCallLike,
  tools: KnownTools = BUILTIN_TOOLS,
): ParsedAction {
  const fn: { name?: unknown; arguments?: unknown } =
    isJsonObject(call) && isJsonObject(call.function) ? call.function : {};
  const { name } = fn;
  let args: unknown = fn.arguments;
  const rawArguments = typeof args === "string" ? args : JSON.stringify(args ?? {});
  const raw = `{"name": ${JSON.stringify(name ?? null)}, "arguments": ${rawArguments.trim() === "" ? "{}" : rawArguments}}`;
  if (typeof args === "string") {
    if (args.trim() === "") {
      args = {};
    } else {
      const parsed = parseJson(args);
      if (!parsed.ok) return { kind: "bad-json", raw, message: parsed.message };
      args = parsed.value;
    }
  }
  return readCall({ name, arguments: args ?? {} }, raw, tools);
}

function readCall(value: unknown, raw: string, tools: KnownTools): ParsedAction {
  if (!isJsonObject(value))
    return { kind: "not-object", raw, part: "call", pythonType: pythonTypeName(value) };
  const { name } = value;
  if (typeof name !== "string" || !tools.has(name)) {
    return { kind: "unknown-tool", raw, name: pythonStr(name), missing: name === undefined || name === null };
  }
  // A present `null` is not "missing": the reference's `.get("arguments", {})` returns None for it.
  const args = "arguments" in value ? value.arguments : {};
  if (!isJsonObject(args)) {
    return { kind: "not-object", raw, part: "arguments", pythonType: pythonTypeName(args), name };
  }
  return { kind: "ok", name, arguments: args, raw };
}

type JsonOutcome = { ok: true; value: unknown } | { ok: false; message: string };

function parseJson(text: string): JsonOutcome {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** Spans that cover the reference's last block, latest opening tag first, nearest closing tag first. */
function recoverBlock(
  action: string,
  lastOpen: number,
  lastContentEnd: number,
): { value: unknown; raw: string } | undefined {
  const opens = indicesOf(action, TOOL_CALL_OPEN)
    .filter((i) => i <= lastOpen)
    .reverse();
  const closes = indicesOf(action, TOOL_CALL_CLOSE).filter((i) => i >= lastContentEnd);
  let attempts = 0;
  for (const open of opens) {
    for (const close of closes) {
      if (open === lastOpen && close === lastContentEnd) continue;
      if (++attempts > MAX_RECOVERY_ATTEMPTS) return undefined;
      const raw = action.slice(open + TOOL_CALL_OPEN.length, close);
      const parsed = parseJson(raw);
      if (parsed.ok && isJsonObject(parsed.value)) return { value: parsed.value, raw };
    }
  }
  return undefined;
}

function indicesOf(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) found.push(i);
  return found;
}
