import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SearchCache } from "./search-cache";
import { SearchError } from "./search-error";

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "hdpo-search-cache-"));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

function clock(start = 1_700_000_000_000) {
  const state = { now: start };
  return { state, now: () => state.now };
}

describe("SearchCache", () => {
  it("keys on provider and query, and persists {provider, query, result, timestamp} lines across a restart", async () => {
    const path = join(folder, "nested", "cache.jsonl");
    const time = clock();
    const cache = await SearchCache.open({ path, now: time.now });
    await cache.set("serper", "q", "result for q");
    await cache.set("serpapi", "q", "other provider");
    expect(cache.get("serper", "q")).toBe("result for q");
    expect(cache.get("brightdata", "q")).toBeUndefined();
    const lines = (await readFile(path, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines[0]).toEqual({
      provider: "serper",
      query: "q",
      result: "result for q",
      timestamp: time.state.now / 1000,
    });
    const reopened = await SearchCache.open({ path, now: time.now });
    expect(reopened.size).toBe(2);
    expect(reopened.get("serpapi", "q")).toBe("other provider");
  });

  it("expires entries after the TTL, in memory and on load", async () => {
    const path = join(folder, "cache.jsonl");
    const time = clock();
    const cache = await SearchCache.open({ path, ttlMs: 1000, now: time.now });
    await cache.set("serper", "old", "old result");
    time.state.now += 600;
    await cache.set("serper", "new", "new result");
    time.state.now += 500; // "old" is 1100 ms old, "new" 500 ms
    expect(cache.get("serper", "old")).toBeUndefined();
    expect(cache.get("serper", "new")).toBe("new result");
    const reopened = await SearchCache.open({ path, ttlMs: 1000, now: time.now });
    expect(reopened.size).toBe(1);
    expect(reopened.skippedLines).toBe(1);
    expect(reopened.get("serper", "new")).toBe("new result");
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const cache = await SearchCache.open({ maxEntries: 2 });
    await cache.set("serper", "a", "A");
    await cache.set("serper", "b", "B");
    expect(cache.get("serper", "a")).toBe("A"); // a is now the most recent
    await cache.set("serper", "c", "C");
    expect(cache.get("serper", "b")).toBeUndefined();
    expect(cache.get("serper", "a")).toBe("A");
    expect(cache.get("serper", "c")).toBe("C");
    expect(cache.size).toBe(2);
  });

  it("rewrites the file with the live entries once it holds more than twice the bound", async () => {
    const path = join(folder, "cache.jsonl");
    const cache = await SearchCache.open({ path, maxEntries: 3 });
    for (let i = 0; i < 6; i++) await cache.set("serper", `q${i}`, `r${i}`);
    expect(cache.compactions).toBe(0);
    expect((await readFile(path, "utf8")).trimEnd().split("\n")).toHaveLength(6);
    await cache.set("serper", "q6", "r6"); // 7 lines > 2 * 3
    expect(cache.compactions).toBe(1);
    const lines = (await readFile(path, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line).query);
    expect(lines).toEqual(["q4", "q5", "q6"]);
    expect((await readdir(folder)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    const reopened = await SearchCache.open({ path, maxEntries: 3 });
    expect(reopened.get("serper", "q6")).toBe("r6");
    expect(reopened.get("serper", "q3")).toBeUndefined();
  });

  it("tolerates a torn last line, and the next append starts on a fresh line", async () => {
    const path = join(folder, "cache.jsonl");
    const now = Date.now() / 1000;
    await writeFile(
      path,
      `${JSON.stringify({ provider: "serper", query: "kept", result: "K", timestamp: now })}\nnot json\n${JSON.stringify({ query: "reference line", result: "R", timestamp: now })}\n{"provider":"serper","query":"torn`,
    );
    const cache = await SearchCache.open({ path });
    expect(cache.size).toBe(1);
    expect(cache.skippedLines).toBe(3); // garbage, a provider-less reference line, the torn line
    await cache.set("serper", "after", "A");
    const reopened = await SearchCache.open({ path });
    expect(reopened.get("serper", "kept")).toBe("K");
    expect(reopened.get("serper", "after")).toBe("A");
    await appendFile(path, "\n");
    expect((await SearchCache.open({ path })).size).toBe(2);
  });

  it("refuses a bound that is not a positive integer", async () => {
    await expect(SearchCache.open({ maxEntries: 0 })).rejects.toThrow(SearchError);
    await expect(SearchCache.open({ ttlMs: -1 })).rejects.toThrow(/ttlMs must be positive/);
  });
});
