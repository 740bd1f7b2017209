import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SearchError } from "./search-error";
import { textSearchOptionsFromEnv } from "./text-search-options";

describe("textSearchOptionsFromEnv", () => {
  it("defaults to serper with the reference's cache file, keys from the env", () => {
    expect(textSearchOptionsFromEnv({ SERPER_API_KEY: "sk" })).toEqual({
      provider: "serper",
      serperApiKey: "sk",
      serpapiApiKey: "sk",
      cache: { path: join(homedir(), ".metis_search_cache", "search_basic_cache.jsonl") },
    });
  });

  it("defaults to local (uncached) when a corpus is set", () => {
    expect(textSearchOptionsFromEnv({ HDPO_SEARCH_CORPUS: "/data/c.jsonl" })).toEqual({
      provider: "local",
      corpus: "/data/c.jsonl",
      cache: false,
    });
  });

  it("reads every documented variable", () => {
    const options = textSearchOptionsFromEnv({
      SEARCH_PROVIDER: " BrightData ",
      SERPAPI_API_KEY: "sa",
      BRIGHTDATA_API_TOKEN: "bt",
      BRIGHTDATA_ZONE: "z",
      HDPO_SEARCH_CACHE: "/tmp/c.jsonl",
      HDPO_BRIGHTDATA_URL: "http://127.0.0.1:9/request",
    });
    expect(options).toEqual({
      provider: "brightdata",
      serpapiApiKey: "sa",
      brightdataApiToken: "bt",
      brightdataZone: "z",
      endpoints: { brightdata: "http://127.0.0.1:9/request" },
      cache: { path: "/tmp/c.jsonl" },
    });
    expect(textSearchOptionsFromEnv({ HDPO_SEARCH_CACHE: "off" }).cache).toEqual({});
    expect(
      textSearchOptionsFromEnv({ HDPO_SEARCH_CORPUS: "/c.jsonl", HDPO_SEARCH_RESULTS: "1" }).maxResults,
    ).toBe(1);
  });

  it("refuses an unknown provider and local without a corpus", () => {
    expect(() => textSearchOptionsFromEnv({ SEARCH_PROVIDER: "bing" })).toThrow(SearchError);
    expect(() => textSearchOptionsFromEnv({ SEARCH_PROVIDER: "bing" })).toThrow(
      /SEARCH_PROVIDER="bing" is not a search provider/,
    );
    expect(() => textSearchOptionsFromEnv({ SEARCH_PROVIDER: "local" })).toThrow(/needs HDPO_SEARCH_CORPUS/);
    expect(() => textSearchOptionsFromEnv({ HDPO_SEARCH_RESULTS: "0" })).toThrow(
      /HDPO_SEARCH_RESULTS must be a whole number ≥ 1, got "0"/,
    );
  });
});
