import { type ToolReply, toolExceptionReply } from "../registry/tool-reply";
import type { ParsedAction } from "./parsed-action";

/** The text the reference answers for a call naming no loaded tool. */
export function noHandlerText(name: string): string {
  return `Error: No handler found for tool '${name}'.`;
}

/**
 * The reference's reply to an action that names no runnable call (metis-protocol.md §2): `""` for no block or bad
 * JSON, "No handler found" for a missing or unknown name (both valid=false, done=false), and the tool-exception
 * shape (done=true) for a call or `arguments` that is JSON but not an object.
 */
export function actionErrorReply(parsed: Exclude<ParsedAction, { kind: "ok" }>): ToolReply {
  switch (parsed.kind) {
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
