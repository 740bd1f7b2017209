/** The stop string of the text tool-call protocol. */
export const TOOL_CALL_CLOSE = "</tool_call>";
const TOOL_CALL_OPEN = "<tool_call>";

/**
 * Puts back a `</tool_call>` the server stripped: vLLM (like OpenAI) removes the stop string from the text, but
 * the reference keeps it in the action. It is appended only when the turn stopped (`finishReason` "stop"), the
 * server's `stop_reason` (when it sends one) names this stop string, and the text ends inside an unclosed
 * `<tool_call>` — so an EOS after a closed call, or another stop string, leaves the text alone.
 */
export function closeStrippedToolCall(
  text: string,
  finishReason: string | null | undefined,
  stopReason: unknown,
  stop: string = TOOL_CALL_CLOSE,
): string {
  if (finishReason !== "stop") return text;
  if (stopReason !== undefined && stopReason !== null && stopReason !== stop) return text;
  const open = text.lastIndexOf(TOOL_CALL_OPEN);
  if (open < 0) return text;
  if (text.indexOf(stop, open + TOOL_CALL_OPEN.length) >= 0) return text;
  return text + stop;
}
