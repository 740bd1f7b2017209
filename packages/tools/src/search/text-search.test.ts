import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ToolsError } from "../tools-error";
import { startFakeSearchApi } from "./fake-search-api.test-support";
import { SearchCache } from "./search-cache";
import { SearchError } from "./search-error";
import { createTextSearch } from "./text-search";

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "hdpo-text-search-"));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("createTextSearch", () => {
  it("throws a SearchError for an unknown provider instead of falling back to serper", async () => {
    await expect(createTextSearch({ provider: "serpap1" })).rejects.toThrow(SearchError);
    await expect(createTextSearch({ provider: "serpap1" })).rejects.toThrow(ToolsError);
    await expect(createTextSearch({ provider: "serpap1" })).rejects.toThrow(
      /unknown provider "serpap1"; use one of serper, serpapi, brightdata, local/,
    );
  });

  it("answers bad queries with the reference's texts as failures, without a request", async () => {
    const api = await startFakeSearchApi(() => ({ json: { organic: [] } }));
    try {
      const search = await createTextSearch({
        provider: "serper",
        serperApiKey: "k".repeat(20),
        endpoints: { serper: api.origin },
      });
      expect(await search.search('  ""  ')).toEqual({
        text: "Empty search query provided.",
        success: false,
        cached: false,
      });
      expect(await search.search("x".repeat(1001))).toEqual({
        text: "Search query too long (maximum 1000 characters).",
        success: false,
        cached: false,
      });
      expect(api.requests).toHaveLength(0);
    } finally {
      await api.close();
    }
  });

  it("caches successes persistently (a new search on the same file answers without a request) but never failures", async () => {
    let fail = true;
    const api = await startFakeSearchApi(() =>
      fail
        ? { status: 500, json: { message: "boom" } }
        : { json: { organic: [{ title: "t", link: "l", snippet: "s" }] } },
    );
    const path = join(folder, "cache.jsonl");
    try {
      const options = {
        provider: "serper",
        serperApiKey: "k".repeat(20),
        endpoints: { serper: api.origin },
        cache: { path },
      } as const;
      const search = await createTextSearch(options);
      const failed = await search.search("q");
      expect(failed.success).toBe(false);
      fail = false;
      const ok = await search.search("q");
      expect(ok).toMatchObject({ success: true, cached: false });
      await search.close();
      const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ provider: "serper", query: "q", result: ok.text });

      const restarted = await createTextSearch(options);
      expect(await restarted.search(" q ")).toEqual({ ...ok, cached: true });
      expect(api.requests).toHaveLength(2);
    } finally {
      await api.close();
    }
  });

  it("uses a SearchCache it is given and does not share entries across providers", async () => {
    const cache = await SearchCache.open();
    await cache.set("serpapi", "q", "from serpapi");
    const local = await createTextSearch({
      provider: "local",
      corpus: [{ id: 1, text: "q is a letter" }],
      cache,
    });
    const result = await local.search("q");
    expect(result.cached).toBe(false);
    expect(result.text).toContain("Snippet: q is a letter");
    expect(cache.get("local", "q")).toBe(result.text);
  });
});
