import { EvaluatorError } from "../evaluator-error";

/** Where tools come from: in-process `@hdpo/tools`, a remote verl-tool server, or none at all. */
export type ToolsSpec = { kind: "local" } | { kind: "remote"; url: string } | { kind: "none" };

/** Reads `--tools local|none|URL`. */
export function parseToolsSpec(value: string): ToolsSpec {
  if (value === "local") return { kind: "local" };
  if (value === "none") return { kind: "none" };
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return { kind: "remote", url: value };
  } catch {
    // reported below
  }
  throw new EvaluatorError(
    `--tools must be "local" (in-process @hdpo/tools), "none", or a tool server URL like http://127.0.0.1:30569; got "${value}".`,
  );
}
