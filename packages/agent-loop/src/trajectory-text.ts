import type { ToolCall } from "@hdpo/core";
import { firstTagBlock, lastTagBlock } from "./tag-blocks";

/** The stop string of the text protocol (metis-protocol.md §2). */
export const TOOL_CALL_OPEN = "<tool_call>";
export const TOOL_CALL_CLOSE = "</tool_call>";

/** The name counted for a tool call whose JSON cannot be read. */
export const UNKNOWN_TOOL_NAME = "unknown";

const ANSWER_OPEN = "<answer>";
const ANSWER_CLOSE = "</answer>";

/**
 * Re-appends `</tool_call>` when a turn stopped on it but the text lacks it: OpenAI-compatible servers strip the
 * stop string, the reference's vLLM keeps it. Only a turn with an unclosed `<tool_call>` is touched.
 */
export function restoreToolCallStop(text: string, finishReason: string): string {
  if (finishReason !== "stop") return text;
  const open = text.lastIndexOf(TOOL_CALL_OPEN);
  if (open < 0 || text.indexOf(TOOL_CALL_CLOSE, open) >= 0) return text;
  return text + TOOL_CALL_CLOSE;
}

/** The action sent to the tools: the turn through its first `</tool_call>`, or undefined when it has no call. */
export function actionText(text: string): string | undefined {
  if (!text.includes(TOOL_CALL_OPEN)) return undefined;
  const close = text.indexOf(TOOL_CALL_CLOSE);
  return close < 0 ? undefined : text.slice(0, close + TOOL_CALL_CLOSE.length);
}

/**
 * Parses the LAST `<tool_call>…</tool_call>` of an action, as the reference's server does. Anything unreadable
 * (no block, bad JSON, no string `name`) gives name "unknown", `arguments` {} and the block in `raw`.
 */
export function parseToolCall(action: string): ToolCall {
  const block = lastTagBlock(action, TOOL_CALL_OPEN, TOOL_CALL_CLOSE);
  if (block === undefined) return { name: UNKNOWN_TOOL_NAME, arguments: {}, raw: action };
  const raw = action.slice(block.contentStart, block.contentEnd);
  try {
    const parsed: unknown = JSON.parse(raw.trim());
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return { name: UNKNOWN_TOOL_NAME, arguments: {}, raw };
    }
    const { name, arguments: args } = parsed as { name?: unknown; arguments?: unknown };
    const isRecord = typeof args === "object" && args !== null && !Array.isArray(args);
    return {
      name: typeof name === "string" && name.length > 0 ? name : UNKNOWN_TOOL_NAME,
      arguments: isRecord ? (args as Record<string, unknown>) : {},
      raw,
    };
  } catch {
    return { name: UNKNOWN_TOOL_NAME, arguments: {}, raw };
  }
}

/** The text-protocol action for a native tool call, so a remote verl-tool server can run it. */
export function nativeToolCallAction(call: ToolCall): string {
  return `${TOOL_CALL_OPEN}${JSON.stringify({ name: call.name, arguments: call.arguments })}${TOOL_CALL_CLOSE}`;
}

/**
 * The first `<answer>…</answer>` of the MODEL's turns, trimmed; undefined when none. Unlike the reference's reward
 * manager, observation text is never searched, so a tool's output (e.g. the dedup notice) cannot supply an answer.
 */
export function extractModelAnswer(modelTexts: readonly string[]): string | undefined {
  for (const text of modelTexts) {
    const block = firstTagBlock(text, ANSWER_OPEN, ANSWER_CLOSE);
    if (block !== undefined) return text.slice(block.contentStart, block.contentEnd).trim();
  }
  return undefined;
}
