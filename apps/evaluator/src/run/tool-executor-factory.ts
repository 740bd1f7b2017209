import { RemoteToolExecutor } from "@hdpo/agent-loop";
import type { ToolExecutor } from "@hdpo/core";
import { createBuiltinRegistry, openAITools } from "@hdpo/tools";
import { NoToolsExecutor } from "./no-tools-executor";
import type { OpenAIFunctionToolSchema } from "./system-prompt";
import type { ToolsSpec } from "./tools-spec";

/** The tools of a run: who executes calls, what the model is told about them, and how to release them. */
export interface RunTools {
  executor: ToolExecutor;
  schemas: OpenAIFunctionToolSchema[];
  close?: () => Promise<void>;
}

/** Tool server requests time out after this long (the reference's 400 s is for training batches). */
const REMOTE_TIMEOUT_MS = 120_000;

/**
 * The tools a remote server is assumed to serve: the reference's `python` and `search` (metis-protocol.md §2), with
 * `@hdpo/tools`' schemas, since a verl-tool server does not describe its tools. `image_search` is left out: it
 * needs per-dataset result maps on the server.
 */
const REMOTE_TOOL_NAMES = new Set(["python", "search"]);

/**
 * Builds the executor `spec` names: in-process `@hdpo/tools` (`local`), a verl-tool server (`remote`), or none.
 * @throws EvaluatorError when the local tools cannot be created.
 */
export async function createToolExecutor(
  spec: ToolsSpec,
  options: { warn?: (message: string) => void } = {},
): Promise<RunTools> {
  if (spec.kind === "none") return { executor: new NoToolsExecutor(), schemas: [] };
  if (spec.kind === "remote") {
    return {
      executor: new RemoteToolExecutor({ url: spec.url, timeoutMs: REMOTE_TIMEOUT_MS }),
      schemas: openAITools(createBuiltinRegistry()).filter((tool) =>
        REMOTE_TOOL_NAMES.has(tool.function.name),
      ),
    };
  }
  const { createLocalTools } = await import("./local-tools");
  return createLocalTools(options);
}
