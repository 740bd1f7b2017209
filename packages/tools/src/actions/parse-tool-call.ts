import { jsonTextNestsDeeper } from "@hdpo/http";
import { createBuiltinRegistry } from "../registry/builtin-tools";
import { MAX_JSON_DEPTH, valueNestsDeeper } from "./json-depth";
import type { KnownTools, ParsedAction } from "./parsed-action";
import { isJsonObject, pythonStr, pythonTypeName } from "./python-values";
import { indicesOf, lastToolCallBlock, TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from "./tool-call-blocks";

export { TOOL_CALL_CLOSE, TOOL_CALL_OPEN };

/**
 * The longest action (or OpenAI `arguments` string) parsed, in characters. The reference's turns are capped at
 * `max_action_length` 16,384 tokens, about 64 Ki characters of real text at ~4 characters a token; 16 a token is
 * past any real turn. A longer action is refused unread, so no hostile text costs more than one bounded scan.
 */
export const DEFAULT_MAX_ACTION_CHARS = 256 * 1024;

/** Bounds the work of the recovery below on hostile text full of tags. */
const MAX_RECOVERY_ATTEMPTS = 64;

const BUILTIN_TOOLS = createBuiltinRegistry();

export interface ParseActionOptions {
  /** Actions longer than this many characters answer "too-long" without being parsed. */
  maxActionChars?: number;
}

/**
 * Reads the tool call of a model turn as the reference's server does: the last `<tool_call>…</tool_call>` block,
 * JSON-parsed. Extensions: when that block is not JSON because a JSON string inside it contains a `</tool_call>` or
 * `<tool_call>` tag (code that prints one), the span from an earlier opening tag to a later closing tag that parses
 * as a JSON object is used instead (the reference answers "" there); an action over `maxActionChars` is "too-long";
 * JSON nested deeper than `MAX_JSON_DEPTH` is "bad-json". Linear in the action's length; it never throws.
 */
export function parseToolCallText(
  action: string,
  tools: KnownTools = BUILTIN_TOOLS,
  options: ParseActionOptions = {},
): ParsedAction {
  const limit = options.maxActionChars ?? DEFAULT_MAX_ACTION_CHARS;
  if (action.length > limit) return { kind: "too-long", length: action.length, limit };
  const last = lastToolCallBlock(action);
  if (last === undefined) return { kind: "no-block" };
  const raw = action.slice(last.contentStart, last.contentEnd);
  const parsed = parseJson(raw);
  if (parsed.ok) return readCall(parsed.value, raw, tools);
  const recovered = recoverBlock(action, last.open, last.contentEnd);
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
  options: ParseActionOptions = {},
): ParsedAction {
  const fn: { name?: unknown; arguments?: unknown } =
    isJsonObject(call) && isJsonObject(call.function) ? call.function : {};
  const { name } = fn;
  let args: unknown = fn.arguments;
  const limit = options.maxActionChars ?? DEFAULT_MAX_ACTION_CHARS;
  if (typeof args === "string" && args.length > limit)
    return { kind: "too-long", length: args.length, limit };
  // Already parsed values (a request body's) are stringified below, which overflows the stack on deep nesting.
  if (valueNestsDeeper(name, MAX_JSON_DEPTH - 1) || valueNestsDeeper(args, MAX_JSON_DEPTH - 1)) {
    return { kind: "bad-json", raw: "", message: tooDeepMessage() };
  }
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
  if (jsonTextNestsDeeper(text, MAX_JSON_DEPTH)) return { ok: false, message: tooDeepMessage() };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function tooDeepMessage(): string {
  return `JSON nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects is not read.`;
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
