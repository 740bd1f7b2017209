import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeReply,
  type FakeSearchApi,
  type ReceivedSearchRequest,
  startFakeSearchApi,
} from "./fake-search-api.test-support";
import { createTextSearch } from "./text-search";

const SERPER_KEY = "serper-key-0123456789abcdef";
const SERPAPI_KEY = "serpapi-key-fedcba9876543210";
const BRIGHT_TOKEN = "brightdata-token-a1b2c3d4e5";

let api: FakeSearchApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function fake(reply: (request: ReceivedSearchRequest) => FakeReply): Promise<FakeSearchApi> {
  api = await startFakeSearchApi(reply);
  return api;
}

describe("serper", () => {
  it("POSTs {q, num: 10} with X-API-KEY to the endpoint and formats `organic`", async () => {
    const server = await fake(() => ({
      json: {
        searchParameters: { q: "x", type: "search", engine: "google" },
        organic: [
          {
            title: "Paris - Wikipedia",
            link: "https://en.wikipedia.org/wiki/Paris",
            snippet: "Paris is the capital of France.",
            position: 1,
          },
          { title: "Visit Paris", link: "https://visit.example", snippet: "Plan a trip.", position: 2 },
        ],
      },
    }));
    const search = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${server.origin}/search` },
      cache: false,
    });
    const result = await search.search(' capital of "france" ');
    expect(result).toEqual({
      success: true,
      cached: false,
      text:
        "A Google search for 'capital of france' found 2 results:\n\n## Web Results\n" +
        "Page 1. [Title: Paris - Wikipedia](Link: https://en.wikipedia.org/wiki/Paris)\nSnippet: Paris is the capital of France.\n\n" +
        "Page 2. [Title: Visit Paris](Link: https://visit.example)\nSnippet: Plan a trip.\n",
    });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/search");
    expect(request!.headers["x-api-key"]).toBe(SERPER_KEY);
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.body).toEqual({ q: "capital of france", num: 10 });
  });

  it("reports an HTTP error as a failure with the status and the API's message, never the key", async () => {
    const server = await fake(() => ({
      status: 403,
      json: { message: `Unauthorized key ${SERPER_KEY}`, statusCode: 403 },
    }));
    const search = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${server.origin}/search` },
    });
    const result = await search.search("q");
    expect(result.success).toBe(false);
    expect(result.cached).toBe(false);
    expect(result.text).toBe(
      "Search failed for 'q': Search request via 'serper' failed for 'q': HTTP 403 Forbidden: Unauthorized key [redacted]",
    );
    expect(result.text).not.toContain(SERPER_KEY);
  });

  it("fails without a request when the key is missing, naming the env var", async () => {
    const server = await fake(() => ({ json: { organic: [] } }));
    const search = await createTextSearch({
      provider: "serper",
      endpoints: { serper: `${server.origin}/search` },
    });
    const result = await search.search("q");
    expect(result.success).toBe(false);
    expect(result.text).toMatch(
      /^Search failed for 'q': Search request via 'serper' failed for 'q': SERPER_API_KEY is not set/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("says 'timeout' when the API does not answer in time, and the next call asks again (not cached)", async () => {
    let calls = 0;
    const server = await fake(() =>
      ++calls === 1 ? { hang: true } : { json: { organic: [{ title: "t", link: "l", snippet: "s" }] } },
    );
    const search = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${server.origin}/search` },
    });
    // Only the hanging call gets a short timeout: the later ones keep the default on a busy machine.
    const first = await search.search("slow", { timeoutMs: 300 });
    expect(first.success).toBe(false);
    expect(first.text).toBe(
      "Search failed for 'slow': Search request via 'serper' failed for 'slow': timeout: no complete answer within 0.3 s",
    );
    const second = await search.search("slow");
    expect(second).toMatchObject({ success: true, cached: false });
    const third = await search.search("slow");
    expect(third).toEqual({ ...second, cached: true });
    expect(server.requests).toHaveLength(2);
  });

  it("a caller's abort signal ends its search as a failure that is not cached", async () => {
    const server = await fake(() => ({ hang: true }));
    const search = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${server.origin}/search` },
    });
    const controller = new AbortController();
    const pending = search.search("q", { signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    expect(await pending).toEqual({
      text: "Search failed for 'q': Search request via 'serper' failed for 'q': cancelled by the caller",
      success: false,
      cached: false,
    });
  });

  it("a call's own timeoutMs wins over the default", async () => {
    const server = await fake(() => ({ hang: true }));
    const search = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${server.origin}/search` },
      timeoutMs: 60_000,
    });
    const result = await search.search("q", { timeoutMs: 200 });
    expect(result.text).toContain("timeout: no complete answer within 0.2 s");
  });

  it("reports a refused connection and an answer that is not JSON as failures", async () => {
    const server = await fake(() => ({ text: "<html>rate limited</html>", contentType: "text/html" }));
    const search = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${server.origin}/search` },
    });
    const html = await search.search("q");
    expect(html.success).toBe(false);
    expect(html.text).toContain("the answer is not JSON (HTTP 200, text/html): <html>rate limited</html>");
    const origin = server.origin;
    await server.close();
    api = undefined;
    const refused = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${origin}/search` },
    });
    const down = await refused.search("q");
    expect(down.success).toBe(false);
    expect(down.text).toMatch(/ECONNREFUSED/);
  });

  it("concurrent identical searches share one request", async () => {
    const server = await fake(() => ({ json: { organic: [{ title: "t", link: "l", snippet: "s" }] } }));
    const search = await createTextSearch({
      provider: "serper",
      serperApiKey: SERPER_KEY,
      endpoints: { serper: `${server.origin}/search` },
    });
    const results = await Promise.all(Array.from({ length: 8 }, () => search.search("same query")));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.every((r) => r.success)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});

describe("serpapi", () => {
  it("GETs the reference's query parameters with the key and reads organic_results", async () => {
    const server = await fake(() => ({
      json: {
        search_metadata: { status: "Success" },
        organic_results: [
          { position: 1, title: "北京天气", link: "https://weather.example/bj", snippet: "今天晴。" },
        ],
      },
    }));
    const search = await createTextSearch({
      provider: "serpapi",
      serpapiApiKey: SERPAPI_KEY,
      endpoints: { serpapi: `${server.origin}/search` },
    });
    const result = await search.search("北京 天气");
    expect(result.success).toBe(true);
    expect(result.text).toBe(
      "A Google search for '北京 天气' found 1 results:\n\n## Web Results\nPage 1. [Title: 北京天气](Link: https://weather.example/bj)\nSnippet: 今天晴。\n",
    );
    const [request] = server.requests;
    expect(request!.method).toBe("GET");
    expect(request!.path).toBe("/search");
    expect(Object.fromEntries(request!.query)).toEqual({
      engine: "google",
      q: "北京 天气",
      num: "10",
      api_key: SERPAPI_KEY,
      google_domain: "google.com",
      hl: "zh-cn",
      gl: "cn",
    });
  });

  it("sends en/us for other queries; an error echoing the key is redacted", async () => {
    const server = await fake((request) => ({
      status: 401,
      json: { error: `Invalid API key. Your API key should be here: ${request.query.get("api_key")}` },
    }));
    const search = await createTextSearch({
      provider: "serpapi",
      serpapiApiKey: SERPAPI_KEY,
      endpoints: { serpapi: `${server.origin}/search` },
    });
    const result = await search.search("weather");
    expect(server.requests[0]!.query.get("hl")).toBe("en");
    expect(server.requests[0]!.query.get("gl")).toBe("us");
    expect(result.success).toBe(false);
    expect(result.text).toContain(
      "HTTP 401 Unauthorized: Invalid API key. Your API key should be here: [redacted]",
    );
    expect(result.text).not.toContain(SERPAPI_KEY);
  });

  it("an answer without results is a successful 'No results found'", async () => {
    const server = await fake(() => ({
      json: {
        search_information: { organic_results_state: "Fully empty" },
        error: "Google hasn't returned any results for this query.",
      },
    }));
    const search = await createTextSearch({
      provider: "serpapi",
      serpapiApiKey: SERPAPI_KEY,
      endpoints: { serpapi: server.origin },
    });
    expect(await search.search("zzqx")).toEqual({
      text: "No results found for 'zzqx'.",
      success: true,
      cached: false,
    });
  });
});

describe("brightdata", () => {
  it("POSTs {zone, url, format: raw} with a Bearer token and formats organic descriptions", async () => {
    const server = await fake(() => ({
      json: {
        general: { search_engine: "google", query: "x" },
        organic: [
          { link: "https://a.example", title: "A", description: "First.", rank: 1, global_rank: 1 },
          { link: "https://b.example", title: "B", description: "First.", rank: 2, global_rank: 2 },
        ],
      },
    }));
    const search = await createTextSearch({
      provider: "brightdata",
      brightdataApiToken: BRIGHT_TOKEN,
      brightdataZone: "serp_zone1",
      endpoints: { brightdata: `${server.origin}/request` },
    });
    const result = await search.search("rock & roll / 1950s");
    expect(result.text).toBe(
      "A Google search for 'rock & roll / 1950s' found 1 results:\n\n## Web Results\nPage 1. [Title: A](Link: https://a.example)\nSnippet: First.\n",
    );
    const [request] = server.requests;
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/request");
    expect(request!.headers.authorization).toBe(`Bearer ${BRIGHT_TOKEN}`);
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.body).toEqual({
      zone: "serp_zone1",
      url: "https://www.google.com/search?q=rock%20%26%20roll%20/%201950s&hl=en&gl=us&num=10&brd_json=1",
      format: "raw",
    });
  });

  it("needs both the token and the zone", async () => {
    const server = await fake(() => ({ json: {} }));
    const search = await createTextSearch({
      provider: "brightdata",
      brightdataApiToken: BRIGHT_TOKEN,
      endpoints: { brightdata: server.origin },
    });
    const result = await search.search("q");
    expect(result.success).toBe(false);
    expect(result.text).toContain("BRIGHTDATA_ZONE is not set");
    expect(server.requests).toHaveLength(0);
  });
});
