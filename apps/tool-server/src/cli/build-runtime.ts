import {
  createImageSearch,
  createTextSearch,
  createToolRuntime,
  detectSandbox,
  findPython,
  imageSearchOptionsFromEnv,
  textSearchOptionsFromEnv,
} from "@hdpo/tools";
import type { PythonInfo } from "../http/tool-server";
import type { ToolRuntimePort } from "../runtime-port";
import type { ToolServerCliOptions } from "./cli-options";

/** The runtime the CLI serves, with what it should tell the operator. */
export interface BuiltRuntime {
  runtime: ToolRuntimePort;
  python: PythonInfo;
  /** Sandbox degradations and other start-up warnings, for stderr. */
  warnings: string[];
}

/**
 * Builds the tool runtime from the CLI options: finds a Python with Pillow + numpy, detects the sandbox (strict
 * refuses to start without the full isolation), and wires text and image search. API keys stay in the search
 * options; they are never printed.
 */
export async function buildRuntime(
  options: ToolServerCliOptions,
  env: NodeJS.ProcessEnv,
): Promise<BuiltRuntime> {
  const interpreter = await findPython({ python: options.python, env });
  const sandbox = await detectSandbox({ require: options.sandbox });
  // The flags win over the environment; textSearchOptionsFromEnv reads the keys and checks the combination.
  const searchEnv: NodeJS.ProcessEnv = { ...env };
  if (options.searchProvider !== undefined) searchEnv.SEARCH_PROVIDER = options.searchProvider;
  if (options.searchCorpus !== undefined) searchEnv.HDPO_SEARCH_CORPUS = options.searchCorpus;
  if (options.searchResults !== undefined) searchEnv.HDPO_SEARCH_RESULTS = String(options.searchResults);
  const textSearch = await createTextSearch(textSearchOptionsFromEnv(searchEnv));
  const imageOptions = imageSearchOptionsFromEnv(env);
  if (options.imageSearchMaps.length > 0) {
    imageOptions.maps = [...(imageOptions.maps ?? []), ...options.imageSearchMaps];
  }
  if (options.imageCollection !== undefined) {
    imageOptions.local = { ...imageOptions.local, dir: options.imageCollection };
  }
  const imageSearch = await createImageSearch(imageOptions);
  const runtime = await createToolRuntime({
    python: { interpreter, sandbox, sessionRoot: options.sessionDir },
    textSearch,
    imageSearch,
    maxSessions: options.maxSessions,
    idleTimeoutMs: options.idleTimeoutMs,
    workers: options.workers,
    blocklist: options.blocklist,
    maxQueue: options.maxQueue,
    maxReplayBytes: options.maxReplayBytes,
  });
  return {
    runtime,
    python: { path: interpreter.path, version: interpreter.version, modules: { ...interpreter.modules } },
    warnings: [...sandbox.warnings],
  };
}
