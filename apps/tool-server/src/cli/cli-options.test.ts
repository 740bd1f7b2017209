import { describe, expect, it } from "vitest";
import { DEFAULT_PORT, DEFAULT_SESSION_DIR, parseCliOptions, USAGE } from "./cli-options";

describe("parseCliOptions", () => {
  it("has the reference's defaults", () => {
    const options = parseCliOptions([], {});
    expect(options).toMatchObject({
      host: "127.0.0.1",
      port: DEFAULT_PORT,
      sessionDir: DEFAULT_SESSION_DIR,
      sandbox: "auto",
      blocklist: true,
      mcpStdio: false,
      imageSearchMaps: [],
    });
    expect(DEFAULT_PORT).toBe(30569);
    expect(options.workers).toBeGreaterThanOrEqual(1);
    expect(options.maxSessions).toBeUndefined();
  });

  it("reads every flag", () => {
    const options = parseCliOptions(
      [
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        "--workers",
        "3",
        "--max-sessions",
        "9",
        "--idle-timeout",
        "1.5",
        "--session-dir",
        "/s",
        "--python",
        "/p",
        "--sandbox",
        "strict",
        "--no-blocklist",
        "--search-provider",
        "local",
        "--search-corpus",
        "c.jsonl",
        "--search-results",
        "1",
        "--image-search-map",
        "a.json",
        "--image-search-map",
        "b.json",
        "--image-collection",
        "imgs",
        "--max-queue",
        "5",
        "--mcp-stdio",
        "--max-body-bytes",
        "2048",
        "--max-concurrent-requests",
        "7",
        "--shutdown-grace",
        "2",
        "--max-json-depth",
        "32",
        "--max-reply-bytes",
        "2097152",
        "--headers-timeout",
        "5",
        "--request-timeout",
        "20",
        "--body-timeout",
        "0.5",
        "--max-connections",
        "100",
        "--max-mcp-sessions",
        "8",
        "--mcp-idle-timeout",
        "90",
        "--max-replay-bytes",
        "1048576",
      ],
      {},
    );
    expect(options).toMatchObject({
      host: "0.0.0.0",
      port: 0,
      workers: 3,
      maxSessions: 9,
      idleTimeoutMs: 1500,
      sessionDir: "/s",
      python: "/p",
      sandbox: "strict",
      blocklist: false,
      searchProvider: "local",
      searchCorpus: "c.jsonl",
      searchResults: 1,
      imageSearchMaps: ["a.json", "b.json"],
      imageCollection: "imgs",
      maxQueue: 5,
      mcpStdio: true,
      maxBodyBytes: 2048,
      maxConcurrentRequests: 7,
      shutdownGraceMs: 2000,
      maxJsonDepth: 32,
      maxReplyBytes: 2097152,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 20000,
      bodyTimeoutMs: 500,
      maxConnections: 100,
      maxMcpSessions: 8,
      mcpIdleTimeoutMs: 90000,
      maxReplayBytes: 1048576,
    });
  });

  it("has bounded defaults for every request, connection and session, the MCP idle expiry no longer than --idle-timeout", () => {
    expect(parseCliOptions([], {})).toMatchObject({
      maxJsonDepth: 64,
      maxReplyBytes: 64 * 1024 * 1024,
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 120_000,
      bodyTimeoutMs: 30_000,
      maxConnections: 4096,
      maxMcpSessions: 1024,
      mcpIdleTimeoutMs: 600_000,
    });
    expect(parseCliOptions([], {}).maxReplayBytes).toBeUndefined();
    expect(parseCliOptions(["--idle-timeout", "60"], {}).mcpIdleTimeoutMs).toBe(60_000);
    expect(parseCliOptions(["--idle-timeout", "3600"], {}).mcpIdleTimeoutMs).toBe(600_000);
  });

  it("falls back to the environment the reference names", () => {
    const options = parseCliOptions([], {
      METIS_SESSION_DIR: "/env/sessions",
      HDPO_PYTHON: "/env/python3",
      SEARCH_PROVIDER: "serper",
      HDPO_SEARCH_CORPUS: "/env/corpus.jsonl",
      HDPO_SEARCH_RESULTS: "3",
    });
    expect(options).toMatchObject({
      sessionDir: "/env/sessions",
      python: "/env/python3",
      searchProvider: "serper",
      searchCorpus: "/env/corpus.jsonl",
      searchResults: 3,
    });
    expect(parseCliOptions(["--session-dir", "/flag"], { METIS_SESSION_DIR: "/env" }).sessionDir).toBe(
      "/flag",
    );
  });

  it.each([
    [["--port", "70000"], /--port must be an integer/],
    [["--port", "x"], /--port must be an integer/],
    [["--workers", "0"], /--workers must be an integer/],
    [["--search-results", "0"], /--search-results must be an integer/],
    [["--sandbox", "off"], /--sandbox must be auto or strict/],
    [["--search-provider", "bing"], /--search-provider must be/],
    [["--idle-timeout=-1"], /--idle-timeout must be a number of seconds/],
    [["--idle-timeout", "0"], /--idle-timeout must be a number of seconds/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["--headers-timeout", "200"], /--headers-timeout \(200 s\) must not exceed --request-timeout \(120 s\)/],
    [["--body-timeout", "0"], /--body-timeout must be a number of seconds/],
    [["--max-json-depth", "2"], /--max-json-depth must be an integer in \[8, 10000\]/],
    [["--max-reply-bytes", "10"], /--max-reply-bytes must be an integer/],
    [["positional"], /positional/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseCliOptions(argv, {})).toThrow(message);
  });

  it("documents every flag and the reference's environment variables in --help", () => {
    for (const flag of [
      "--host",
      "--port",
      "--workers",
      "--max-sessions",
      "--idle-timeout",
      "--session-dir",
      "--python",
      "--sandbox",
      "--no-blocklist",
      "--search-provider",
      "--search-corpus",
      "--search-results",
      "--image-search-map",
      "--image-collection",
      "--max-queue",
      "--mcp-stdio",
      "--help",
      "--max-body-bytes",
      "--max-concurrent-requests",
      "--shutdown-grace",
      "--max-json-depth",
      "--max-reply-bytes",
      "--headers-timeout",
      "--request-timeout",
      "--body-timeout",
      "--max-connections",
      "--max-mcp-sessions",
      "--mcp-idle-timeout",
      "--max-replay-bytes",
    ]) {
      expect(USAGE).toContain(flag);
    }
    for (const name of [
      "SEARCH_PROVIDER",
      "SERPER_API_KEY",
      "SERPAPI_API_KEY",
      "BRIGHTDATA_API_TOKEN",
      "BRIGHTDATA_ZONE",
      "METIS_SESSION_DIR",
      "HDPO_PYTHON",
      "HDPO_SEARCH_CORPUS",
    ]) {
      expect(USAGE).toContain(name);
    }
  });
});
