import {
  createBuiltinRegistry,
  createTextSearch,
  createToolRuntime,
  InProcessToolExecutor,
  openAITools,
  type TextSearch,
  type ToolRuntime,
  textSearchOptionsFromEnv,
} from "@hdpo/tools";
import { EvaluatorError } from "../evaluator-error";
import type { RunTools } from "./tool-executor-factory";

/** Where sandbox warnings go (stderr in the CLI). */
export interface LocalToolsOptions {
  warn?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * `--tools local`: the tools of `@hdpo/tools` in this process (sandboxed Python; text search when
 * `SEARCH_PROVIDER` or `HDPO_SEARCH_CORPUS` configures it). The model is told only about tools that can answer:
 * `python` always, `search` when configured; `image_search` is left out (it needs the reference's per-dataset maps).
 * @throws EvaluatorError when Python with Pillow and numpy cannot be found, or the search settings are wrong.
 */
export async function createLocalTools(options: LocalToolsOptions = {}): Promise<RunTools> {
  const env = options.env ?? process.env;
  const registry = createBuiltinRegistry();
  let textSearch: TextSearch | undefined;
  if (hasValue(env.SEARCH_PROVIDER) || hasValue(env.HDPO_SEARCH_CORPUS)) {
    try {
      textSearch = await createTextSearch(textSearchOptionsFromEnv(env));
    } catch (error) {
      throw new EvaluatorError(`--tools local: the search settings are wrong: ${messageOf(error)}`);
    }
  }
  let runtime: ToolRuntime;
  try {
    runtime = await createToolRuntime({ registry, ...(textSearch === undefined ? {} : { textSearch }) });
  } catch (error) {
    await textSearch?.close?.();
    throw new EvaluatorError(
      `--tools local: cannot start the in-process tools: ${messageOf(error)} Or run a tool server and pass its URL, or --tools none.`,
    );
  }
  for (const warning of runtime.sandbox?.warnings ?? []) options.warn?.(`hdpo-eval: sandbox: ${warning}`);
  const offered = new Set(["python", ...(textSearch === undefined ? [] : ["search"])]);
  return {
    executor: new InProcessToolExecutor(runtime),
    schemas: openAITools(registry).filter((tool) => offered.has(tool.function.name)),
    close: () => runtime.shutdown(),
  };
}

function hasValue(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
