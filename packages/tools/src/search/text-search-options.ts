import { homedir } from "node:os";
import { join } from "node:path";
import type { CorpusDocumentInput } from "./local-corpus";
import type { LocalSearchIndexOptions } from "./local-search-index";
import type { SearchCache, SearchCacheOptions } from "./search-cache";
import { SearchError } from "./search-error";
import { isSearchProviderName, SEARCH_PROVIDER_NAMES, type SearchProviderName } from "./search-provider";

/** Per-call timeout of a hosted provider request; the reference tool's default `extra_fields.timeout`. */
export const DEFAULT_SEARCH_TIMEOUT_MS = 20_000;

/** How `createTextSearch` is configured. Keys are only needed by the provider that uses them. */
export interface TextSearchOptions {
  /** Checked at creation: anything else throws `SearchError` (the reference silently used serper). */
  provider: SearchProviderName | (string & {});
  serperApiKey?: string;
  /** SerpApi's key; the reference sent SERPER_API_KEY to SerpApi, which `textSearchOptionsFromEnv` falls back to. */
  serpapiApiKey?: string;
  brightdataApiToken?: string;
  brightdataZone?: string;
  /** Full endpoint URLs replacing the reference's (tests point them at 127.0.0.1). */
  endpoints?: { serper?: string; serpapi?: string; brightdata?: string };
  /** Per-request timeout in ms (default 20000); a call's own `timeoutMs` wins. */
  timeoutMs?: number;
  /** Organic results asked for and shown (default 10). */
  maxResults?: number;
  /** Characters of a snippet kept (default 20000). */
  snippetLength?: number;
  /**
   * Result cache. Default: in memory only (10000 entries, 1 h). Options with `path`: also persisted as JSONL.
   * An open `SearchCache` is used as is (and not closed by the search). `false`: no cache.
   */
  cache?: SearchCacheOptions | SearchCache | false;
  /** `local` provider: a JSONL file path or the documents. */
  corpus?: string | readonly CorpusDocumentInput[];
  /** `local` provider: passage size and MiniSearch search options. */
  local?: LocalSearchIndexOptions;
}

/** The reference's persistent cache file. */
export function defaultSearchCachePath(): string {
  return join(homedir(), ".metis_search_cache", "search_basic_cache.jsonl");
}

const CACHE_OFF = new Set(["off", "none", "false", "0"]);

/**
 * Options from the environment, named as in the reference where it has a name:
 * - `SEARCH_PROVIDER`: serper | serpapi | brightdata | local; default `local` when `HDPO_SEARCH_CORPUS` is
 *   set, else `serper` (the reference scripts' choice; its key is checked when a search runs).
 * - `SERPER_API_KEY`, `SERPAPI_API_KEY` (falls back to `SERPER_API_KEY`, as the reference sends it),
 *   `BRIGHTDATA_API_TOKEN`, `BRIGHTDATA_ZONE`.
 * - `HDPO_SEARCH_CORPUS`: JSONL corpus of the `local` provider.
 * - `HDPO_SEARCH_RESULTS`: results per answer (default 10).
 * - `HDPO_SEARCH_CACHE`: cache file (default the reference's `~/.metis_search_cache/search_basic_cache.jsonl`;
 *   `off` keeps the cache in memory only). The `local` provider is not cached.
 * - `HDPO_SERPER_URL`, `HDPO_SERPAPI_URL`, `HDPO_BRIGHTDATA_URL`: endpoint overrides (proxies, test fakes).
 *
 * @throws SearchError for an unknown SEARCH_PROVIDER, `local` without HDPO_SEARCH_CORPUS, or a bad
 *   HDPO_SEARCH_RESULTS.
 */
export function textSearchOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TextSearchOptions {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const corpus = value("HDPO_SEARCH_CORPUS");
  const named = value("SEARCH_PROVIDER")?.toLowerCase();
  const provider = named ?? (corpus !== undefined ? "local" : "serper");
  if (!isSearchProviderName(provider)) {
    throw new SearchError(
      `SEARCH_PROVIDER=${JSON.stringify(env.SEARCH_PROVIDER)} is not a search provider; use one of ${SEARCH_PROVIDER_NAMES.join(", ")}.`,
    );
  }
  if (provider === "local" && corpus === undefined) {
    throw new SearchError(
      'SEARCH_PROVIDER=local needs HDPO_SEARCH_CORPUS: the path of a JSONL file of {"id","title","url","text"} objects.',
    );
  }
  const options: TextSearchOptions = { provider };
  const assign = <K extends keyof TextSearchOptions>(key: K, v: TextSearchOptions[K] | undefined) => {
    if (v !== undefined) options[key] = v;
  };
  assign("serperApiKey", value("SERPER_API_KEY"));
  assign("serpapiApiKey", value("SERPAPI_API_KEY") ?? value("SERPER_API_KEY"));
  assign("brightdataApiToken", value("BRIGHTDATA_API_TOKEN"));
  assign("brightdataZone", value("BRIGHTDATA_ZONE"));
  assign("corpus", corpus);
  const results = value("HDPO_SEARCH_RESULTS");
  if (results !== undefined) {
    const count = Number(results);
    if (!Number.isInteger(count) || count < 1) {
      throw new SearchError(
        `HDPO_SEARCH_RESULTS must be a whole number ≥ 1, got ${JSON.stringify(results)}.`,
      );
    }
    options.maxResults = count;
  }
  const endpoints: NonNullable<TextSearchOptions["endpoints"]> = {};
  if (value("HDPO_SERPER_URL") !== undefined) endpoints.serper = value("HDPO_SERPER_URL");
  if (value("HDPO_SERPAPI_URL") !== undefined) endpoints.serpapi = value("HDPO_SERPAPI_URL");
  if (value("HDPO_BRIGHTDATA_URL") !== undefined) endpoints.brightdata = value("HDPO_BRIGHTDATA_URL");
  if (Object.keys(endpoints).length > 0) options.endpoints = endpoints;
  if (provider === "local") {
    options.cache = false;
  } else {
    const cachePath = value("HDPO_SEARCH_CACHE");
    options.cache =
      cachePath !== undefined && CACHE_OFF.has(cachePath.toLowerCase())
        ? {}
        : { path: cachePath ?? defaultSearchCachePath() };
  }
  return options;
}
