import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { ToolServerError } from "../tool-server-error";

/** Everything the command line and the environment decide, as plain data. */
export interface ToolServerCliOptions {
  help: boolean;
  host: string;
  port: number;
  workers: number;
  maxSessions?: number;
  idleTimeoutMs?: number;
  maxQueue?: number;
  sessionDir: string;
  python?: string;
  sandbox: "auto" | "strict";
  blocklist: boolean;
  searchProvider?: string;
  searchCorpus?: string;
  /** Results per search answer (default: the reference's). */
  searchResults?: number;
  imageSearchMaps: string[];
  imageCollection?: string;
  maxBodyBytes: number;
  maxConcurrentRequests: number;
  shutdownGraceMs: number;
  mcpStdio: boolean;
  mcpHttp: boolean;
}

/** The default port, as the reference's `start_tool_server.sh`. */
export const DEFAULT_PORT = 30569;
/** The reference's session base directory. */
export const DEFAULT_SESSION_DIR = "/tmp/metis_sessions";

/** The `--help` text: every flag and every environment variable. */
export const USAGE = `Usage: hdpo-tool-server [--host H] [--port P] [--workers N] [options]
       hdpo-tool-server --mcp-stdio [options]

Sandboxed tools (python, search, image_search) over the verl-tool HTTP protocol
(POST /get_observation, GET /health, GET /metrics) and the Model Context Protocol
(streamable HTTP at /mcp, or stdio with --mcp-stdio). Prints one line with its URL when ready.

Server
  --host H                   interface to bind (default 127.0.0.1)
  --port P                   port (default ${DEFAULT_PORT}; 0 picks a free one)
  --max-concurrent-requests N  /get_observation requests in flight before 503 (default 1024)
  --max-body-bytes N         largest request body before 413 (default 33554432 = 32 MiB)
  --shutdown-grace S         seconds in-flight requests get on SIGINT/SIGTERM (default 10)
  --mcp-stdio                speak MCP on stdin/stdout instead of serving HTTP

Python
  --workers N                Python calls running at once (default: CPU count)
  --max-sessions N           live Python processes; beyond, the least recently used is
                             evicted and replayed on its next call (default 128)
  --idle-timeout S           seconds before an unused trajectory (and MCP session) is closed
                             (default 1800)
  --max-queue N              requests queued or running in the runtime before 503 (default 4096)
  --session-dir DIR          session directories root (env METIS_SESSION_DIR, default ${DEFAULT_SESSION_DIR})
  --python PATH              Python 3 with Pillow + numpy (env HDPO_PYTHON; default: discovered)
  --sandbox auto|strict      strict refuses to start without bubblewrap (default auto: degrade loudly)
  --no-blocklist             skip the reference's substring blocklist (the OS sandbox still applies)

Search
  --search-provider NAME     serper | serpapi | brightdata | local (env SEARCH_PROVIDER)
  --search-corpus FILE       JSONL {id,title,url,text} for the local provider (env HDPO_SEARCH_CORPUS)
  --search-results N         results per search answer (env HDPO_SEARCH_RESULTS; default 10)
  --image-search-map FILE    JSON map index -> results for image_search (repeatable; added to
                             env HDPO_IMAGE_SEARCH_MAPS, a PATH-style list)
  --image-collection DIR     local image collection for image_search by perceptual hash
                             (env HDPO_IMAGE_SEARCH_DIR)

  --help                     show this text

Environment
  SEARCH_PROVIDER, SERPER_API_KEY, SERPAPI_API_KEY, BRIGHTDATA_API_TOKEN, BRIGHTDATA_ZONE,
  HDPO_SEARCH_CORPUS, HDPO_SEARCH_RESULTS, HDPO_SEARCH_CACHE (search cache file, "off" = memory only),
  HDPO_SERPER_URL, HDPO_SERPAPI_URL, HDPO_BRIGHTDATA_URL (endpoint overrides),
  HDPO_IMAGE_SEARCH_MAPS, METIS_IMAGE_SEARCH_CACHE (root of relative map image paths),
  HDPO_IMAGE_SEARCH_DIR, HDPO_IMAGE_SEARCH_K, HDPO_IMAGE_SEARCH_MAX_DISTANCE,
  METIS_SESSION_DIR, HDPO_PYTHON.
  API keys are passed to the search providers only: never logged, never visible to Python.`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", default: false },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: String(DEFAULT_PORT) },
      workers: { type: "string" },
      "max-sessions": { type: "string" },
      "idle-timeout": { type: "string" },
      "max-queue": { type: "string" },
      "session-dir": { type: "string" },
      python: { type: "string" },
      sandbox: { type: "string", default: "auto" },
      "no-blocklist": { type: "boolean", default: false },
      "search-provider": { type: "string" },
      "search-corpus": { type: "string" },
      "search-results": { type: "string" },
      "image-search-map": { type: "string", multiple: true, default: [] },
      "image-collection": { type: "string" },
      "max-body-bytes": { type: "string", default: String(32 * 1024 * 1024) },
      "max-concurrent-requests": { type: "string", default: "1024" },
      "shutdown-grace": { type: "string", default: "10" },
      "mcp-stdio": { type: "boolean", default: false },
    },
  }).values;
}

/**
 * Reads the command line (and the environment for what the flags leave unset). Throws `ToolServerError` with a
 * message naming the bad flag; the CLI turns it into exit code 2.
 */
export function parseCliOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ToolServerCliOptions {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    throw new ToolServerError((error as Error).message);
  }
  const sandbox = values.sandbox;
  if (sandbox !== "auto" && sandbox !== "strict") {
    throw new ToolServerError(`--sandbox must be auto or strict, got ${JSON.stringify(sandbox)}`);
  }
  const searchProvider = values["search-provider"] ?? nonEmpty(env.SEARCH_PROVIDER);
  if (
    searchProvider !== undefined &&
    !["serper", "serpapi", "brightdata", "local"].includes(searchProvider)
  ) {
    throw new ToolServerError(
      `--search-provider must be serper, serpapi, brightdata or local, got ${JSON.stringify(searchProvider)}`,
    );
  }
  const optional = (name: string, text: string | undefined, min: number, max: number) =>
    text === undefined ? undefined : integer(name, text, min, max);
  const seconds = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
      throw new ToolServerError(`--${name} must be a number of seconds > 0, got ${JSON.stringify(text)}`);
    }
    return Math.round(value * 1000);
  };
  return {
    help: values.help,
    host: values.host,
    port: integer("port", values.port, 0, 65535),
    workers: optional("workers", values.workers, 1, 4096) ?? availableParallelism(),
    maxSessions: optional("max-sessions", values["max-sessions"], 1, 1_000_000),
    idleTimeoutMs: seconds("idle-timeout", values["idle-timeout"]),
    maxQueue: optional("max-queue", values["max-queue"], 0, 10_000_000),
    sessionDir: values["session-dir"] ?? nonEmpty(env.METIS_SESSION_DIR) ?? DEFAULT_SESSION_DIR,
    python: values.python ?? nonEmpty(env.HDPO_PYTHON),
    sandbox,
    blocklist: !values["no-blocklist"],
    searchProvider,
    searchCorpus: values["search-corpus"] ?? nonEmpty(env.HDPO_SEARCH_CORPUS),
    searchResults: optional(
      "search-results",
      values["search-results"] ?? nonEmpty(env.HDPO_SEARCH_RESULTS),
      1,
      100,
    ),
    imageSearchMaps: values["image-search-map"],
    imageCollection: values["image-collection"],
    maxBodyBytes: integer("max-body-bytes", values["max-body-bytes"], 1024, 2 ** 31),
    maxConcurrentRequests: integer(
      "max-concurrent-requests",
      values["max-concurrent-requests"],
      1,
      1_000_000,
    ),
    shutdownGraceMs: seconds("shutdown-grace", values["shutdown-grace"])!,
    mcpStdio: values["mcp-stdio"],
    mcpHttp: true,
  };
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ToolServerError(
      `--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
