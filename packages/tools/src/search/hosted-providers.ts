import { googleLocale, pythonQuote } from "./google-locale";
import { requestProviderJson } from "./provider-http";
import type { OrganicResult, ProviderRequest, SearchProvider } from "./search-provider";
import { SearchRequestError } from "./search-provider";

/** The reference's endpoints; each can be replaced (tests point them at 127.0.0.1). */
export const DEFAULT_SEARCH_ENDPOINTS = {
  serper: "https://google.serper.dev/search",
  serpapi: "https://serpapi.com/search",
  brightdata: "https://api.brightdata.com/request",
} as const;

export interface HostedProviderConfig {
  /** Results asked for (`num`); the reference asks for 10. */
  maxResults: number;
  endpoint?: string;
}

/**
 * serper.dev as in the reference: POST `{q, num}` with `X-API-KEY`; results in `organic`. The reference sends
 * no `hl`/`gl` to serper.
 */
export function serperProvider(
  config: HostedProviderConfig & { apiKey: string | undefined },
): SearchProvider {
  const url = config.endpoint ?? DEFAULT_SEARCH_ENDPOINTS.serper;
  return {
    name: "serper",
    async search({ query, timeoutMs, signal }: ProviderRequest): Promise<OrganicResult[]> {
      const apiKey = requireSecret(config.apiKey, "SERPER_API_KEY", "serper");
      const data = await requestProviderJson({
        method: "POST",
        url,
        headers: { "X-API-KEY": apiKey, "Content-Type": "application/json" },
        body: { q: query, num: config.maxResults },
        timeoutMs,
        signal,
        secrets: [apiKey],
      });
      return organicList(data, "organic");
    },
  };
}

/**
 * SerpApi as in the reference: GET with `engine=google`, `q`, `num`, `api_key`, `google_domain=google.com`,
 * `hl`, `gl`. SerpApi answers `organic_results`; the reference reads `organic` (so it never saw a result from
 * SerpApi): we read `organic_results` and fall back to `organic`.
 */
export function serpapiProvider(
  config: HostedProviderConfig & { apiKey: string | undefined },
): SearchProvider {
  const endpoint = config.endpoint ?? DEFAULT_SEARCH_ENDPOINTS.serpapi;
  return {
    name: "serpapi",
    async search({ query, timeoutMs, signal }: ProviderRequest): Promise<OrganicResult[]> {
      const apiKey = requireSecret(
        config.apiKey,
        "SERPAPI_API_KEY (or SERPER_API_KEY, as the reference)",
        "serpapi",
      );
      const url = new URL(endpoint);
      const { hl, gl } = googleLocale(query);
      const params: Record<string, string> = {
        engine: "google",
        q: query,
        num: String(config.maxResults),
        api_key: apiKey,
        google_domain: "google.com",
        hl,
        gl,
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      const data = await requestProviderJson({
        method: "GET",
        url: url.toString(),
        timeoutMs,
        signal,
        secrets: [apiKey],
      });
      const results = organicList(data, "organic_results");
      return results.length > 0 ? results : organicList(data, "organic");
    },
  };
}

/**
 * Bright Data's SERP API as in the reference: POST `{zone, url, format: "raw"}` with a Bearer token, where
 * `url` is a Google search URL with `num` and `brd_json=1` (so the answer is Google's results as JSON, with
 * `organic[{title, link, description}]`).
 */
export function brightdataProvider(
  config: HostedProviderConfig & { apiToken: string | undefined; zone: string | undefined },
): SearchProvider {
  const url = config.endpoint ?? DEFAULT_SEARCH_ENDPOINTS.brightdata;
  return {
    name: "brightdata",
    async search({ query, timeoutMs, signal }: ProviderRequest): Promise<OrganicResult[]> {
      const token = requireSecret(config.apiToken, "BRIGHTDATA_API_TOKEN", "brightdata");
      const zone = requireSecret(config.zone, "BRIGHTDATA_ZONE", "brightdata");
      const { hl, gl } = googleLocale(query);
      const googleUrl = `https://www.google.com/search?q=${pythonQuote(query)}&hl=${hl}&gl=${gl}&num=${config.maxResults}&brd_json=1`;
      const data = await requestProviderJson({
        method: "POST",
        url,
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: { zone, url: googleUrl, format: "raw" },
        timeoutMs,
        signal,
        secrets: [token],
      });
      return organicList(data, "organic");
    },
  };
}

function requireSecret(value: string | undefined, envName: string, provider: string): string {
  if (value === undefined || value.trim() === "") {
    throw new SearchRequestError(
      `${envName} is not set; set it, or choose another SEARCH_PROVIDER (${provider} needs it; "local" needs none)`,
    );
  }
  return value;
}

function organicList(data: unknown, key: string): OrganicResult[] {
  if (typeof data !== "object" || data === null) return [];
  const list = (data as Record<string, unknown>)[key];
  if (!Array.isArray(list)) return [];
  return list.filter((item): item is OrganicResult => typeof item === "object" && item !== null);
}
