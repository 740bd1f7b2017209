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
    });
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
