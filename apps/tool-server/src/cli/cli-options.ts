import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { listenFlags } from "@hdpo/http";
import { DEFAULT_MAX_JSON_DEPTH } from "../http/json-depth";
import { DEFAULT_MAX_REPLY_BYTES } from "../http/observation-reply";
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from "../http/tool-server";
import { DEFAULT_MAX_MCP_SESSIONS, DEFAULT_MCP_IDLE_TIMEOUT_MS } from "../mcp/mcp-http-sessions";
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
  /** Deepest JSON nesting of a request body (400 beyond). */
  maxJsonDepth: number;
  /** Largest /get_observation reply; entries that do not fit get their own error observation. */
  maxReplyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Longest pause between two chunks of a request body. */
  bodyTimeoutMs: number;
  maxConnections: number;
  maxMcpSessions: number;
  /** Idle MCP session expiry; default the shorter of 10 min and --idle-timeout. */
  mcpIdleTimeoutMs: number;
  /** Python code kept for replays over all trajectories (bytes); undefined = the runtime's default. */
  maxReplayBytes?: number;
  shutdownGraceMs: number;
  mcpStdio: boolean;
  mcpHttp: boolean;
}

/** Defaults of the robustness flags (seconds where the flag takes seconds). */
export const CLI_DEFAULTS = {
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  maxReplyBytes: DEFAULT_MAX_REPLY_BYTES,
  headersTimeoutS: DEFAULT_HEADERS_TIMEOUT_MS / 1000,
  requestTimeoutS: DEFAULT_REQUEST_TIMEOUT_MS / 1000,
  bodyTimeoutS: DEFAULT_BODY_TIMEOUT_MS / 1000,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxMcpSessions: DEFAULT_MAX_MCP_SESSIONS,
  mcpIdleTimeoutS: DEFAULT_MCP_IDLE_TIMEOUT_MS / 1000,
} as const;

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
  --max-json-depth N         deepest JSON nesting of a request body before 400 (default 64)
  --max-reply-bytes N        largest /get_observation reply; entries that do not fit get their
                             own error observation, the others keep theirs (default 67108864 = 64 MiB)
  --headers-timeout S        seconds to receive a request's headers before 408 (default 60)
  --request-timeout S        seconds to receive a whole request, headers and body, before 408;
                             the answer's time is not counted (default 120)
  --body-timeout S           longest pause in a request body, in seconds, before 408 (default 30)
  --max-connections N        open connections at most; more are closed at once (default 4096)
  --max-mcp-sessions N       MCP sessions at once; at the limit the least recently used idle
                             one is closed (default 1024)
  --mcp-idle-timeout S       seconds before an unused MCP session is closed
                             (default 600, or --idle-timeout when shorter)
  --shutdown-grace S         seconds in-flight requests get on SIGINT/SIGTERM (default 10)
  --mcp-stdio                speak MCP on stdin/stdout instead of serving HTTP

Python
  --workers N                Python calls running at once (default: CPU count)
  --max-sessions N           live Python processes; beyond, the least recently used is
                             evicted and replayed on its next call (default 128)
  --idle-timeout S           seconds before an unused trajectory is closed (default 1800)
  --max-replay-bytes N       Python code kept for replaying evicted sessions, over all
                             trajectories; beyond it the oldest histories are dropped and
                             those sessions restart clean with a notice (default 268435456 = 256 MiB)
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
  HDPO_IMAGE_SEARCH_MAX_PIXELS (largest image decoded for image search, default 12000000),
  METIS_SESSION_DIR, HDPO_PYTHON.
  API keys are passed to the search providers only: never logged, never visible to Python.`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: "boolean", default: false },
      ...listenFlags(DEFAULT_PORT),
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
      "max-json-depth": { type: "string", default: String(CLI_DEFAULTS.maxJsonDepth) },
      "max-reply-bytes": { type: "string", default: String(CLI_DEFAULTS.maxReplyBytes) },
      "headers-timeout": { type: "string", default: String(CLI_DEFAULTS.headersTimeoutS) },
      "request-timeout": { type: "string", default: String(CLI_DEFAULTS.requestTimeoutS) },
      "body-timeout": { type: "string", default: String(CLI_DEFAULTS.bodyTimeoutS) },
      "max-connections": { type: "string", default: String(CLI_DEFAULTS.maxConnections) },
      "max-mcp-sessions": { type: "string", default: String(CLI_DEFAULTS.maxMcpSessions) },
      "mcp-idle-timeout": { type: "string" },
      "max-replay-bytes": { type: "string" },
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
  const idleTimeoutMs = seconds("idle-timeout", values["idle-timeout"]);
  const headersTimeoutMs = seconds("headers-timeout", values["headers-timeout"])!;
  const requestTimeoutMs = seconds("request-timeout", values["request-timeout"])!;
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ToolServerError(
      `--headers-timeout (${headersTimeoutMs / 1000} s) must not exceed --request-timeout (${requestTimeoutMs / 1000} s): the headers are part of the request`,
    );
  }
  return {
    help: values.help,
    host: values.host,
    port: integer("port", values.port, 0, 65535),
    workers: optional("workers", values.workers, 1, 4096) ?? availableParallelism(),
    maxSessions: optional("max-sessions", values["max-sessions"], 1, 1_000_000),
    idleTimeoutMs,
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
    maxJsonDepth: integer("max-json-depth", values["max-json-depth"], 8, 10_000),
    maxReplyBytes: integer("max-reply-bytes", values["max-reply-bytes"], 1024 * 1024, 2 ** 31),
    headersTimeoutMs,
    requestTimeoutMs,
    bodyTimeoutMs: seconds("body-timeout", values["body-timeout"])!,
    maxConnections: integer("max-connections", values["max-connections"], 1, 1_000_000),
    maxMcpSessions: integer("max-mcp-sessions", values["max-mcp-sessions"], 1, 1_000_000),
    mcpIdleTimeoutMs:
      seconds("mcp-idle-timeout", values["mcp-idle-timeout"]) ??
      Math.min(CLI_DEFAULTS.mcpIdleTimeoutS * 1000, idleTimeoutMs ?? Number.POSITIVE_INFINITY),
    maxReplayBytes: optional("max-replay-bytes", values["max-replay-bytes"], 1024 * 1024, 2 ** 40),
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
