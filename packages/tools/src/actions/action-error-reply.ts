import { type ToolReply, toolExceptionReply } from "../registry/tool-reply";
import type { ParsedAction } from "./parsed-action";

/** The text the reference answers for a call naming no loaded tool. */
export function noHandlerText(name: string): string {
  return `Error: No handler found for tool '${name}'.`;
}

/** What the model reads for an action over the parser's cap. */
export function actionTooLongText(length: number, limit: number): string {
  return `Error: the action is ${length} characters long, over the ${limit}-character limit; it was not parsed. Send a shorter tool call.`;
}

/**
 * The reference's reply to an action that names no runnable call (metis-protocol.md §2): `""` for no block or bad
 * JSON, "No handler found" for a missing or unknown name (both valid=false, done=false), and the tool-exception
 * shape (done=true) for a call or `arguments` that is JSON but not an object. An action over the parser's cap (ours,
 * the reference has none) is answered like unparseable text (valid=false, done=false), with the reason as the text.
 */
export function actionErrorReply(parsed: Exclude<ParsedAction, { kind: "ok" }>): ToolReply {
  switch (parsed.kind) {
    case "too-long":
      return { observation: actionTooLongText(parsed.length, parsed.limit), done: false, valid: false };
    case "no-block":
    case "bad-json":
      return { observation: "", done: false, valid: false };
    case "unknown-tool":
      return {
        observation: { obs: noHandlerText(parsed.name), image: [], metrics: {}, timeout: false },
        done: false,
        valid: false,
      };
    case "not-object":
      // The reference calls `.get` on the value, so Python raises this AttributeError.
      return toolExceptionReply(`'${parsed.pythonType}' object has no attribute 'get'`, parsed.name);
  }
}
