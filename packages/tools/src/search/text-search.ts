import { cleanQuery } from "./clean-query";
import {
  DEFAULT_MAX_RESULTS,
  DEFAULT_SNIPPET_LENGTH,
  formatSearchFailure,
  formatSearchResults,
} from "./format-results";
import { brightdataProvider, serpapiProvider, serperProvider } from "./hosted-providers";
import { localProvider } from "./local-provider";
import { redactSecrets } from "./redact-secrets";
import { SearchCache } from "./search-cache";
import { SearchError } from "./search-error";
import {
  isSearchProviderName,
  SEARCH_PROVIDER_NAMES,
  type SearchProvider,
  type SearchProviderName,
} from "./search-provider";
import { DEFAULT_SEARCH_TIMEOUT_MS, type TextSearchOptions } from "./text-search-options";

/** One search's observation text. `success` is false when nothing was searched or the provider failed. */
export interface TextSearchResult {
  text: string;
  success: boolean;
  cached: boolean;
}

export interface TextSearchCallOptions {
  /** This call's timeout in ms (the tool passes `extra_fields.timeout` here). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TextSearch {
  readonly provider: SearchProviderName;
  /** Never rejects: bad queries and provider failures come back as `success: false` texts. */
  search(query: string, options?: TextSearchCallOptions): Promise<TextSearchResult>;
  /** Waits for pending cache writes. */
  close(): Promise<void>;
}

/**
 * A text search over one provider with the reference's query cleaning and result texts, a result cache
 * (successes only; failures are reported as failures and asked again next time), and one request in flight
 * per (provider, query): concurrent identical searches share it.
 *
 * @throws SearchError for an unknown provider, a `local` provider without or with a malformed corpus, or
 *   unusable cache options.
 */
export async function createTextSearch(options: TextSearchOptions): Promise<TextSearch> {
  const name = options.provider;
  if (!isSearchProviderName(name)) {
    throw new SearchError(
      `createTextSearch: unknown provider ${JSON.stringify(name)}; use one of ${SEARCH_PROVIDER_NAMES.join(", ")} (SEARCH_PROVIDER).`,
    );
  }
  const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
  const snippetLength = options.snippetLength ?? DEFAULT_SNIPPET_LENGTH;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_SEARCH_TIMEOUT_MS;
  checkPositive("maxResults", maxResults);
  checkPositive("snippetLength", snippetLength);
  checkPositive("timeoutMs", defaultTimeoutMs);
  const provider = await createProvider(name, options, maxResults);
  const ownsCache = !(options.cache instanceof SearchCache);
  const cache =
    options.cache === false
      ? undefined
      : options.cache instanceof SearchCache
        ? options.cache
        : await SearchCache.open(options.cache ?? {});
  const secrets = [options.serperApiKey, options.serpapiApiKey, options.brightdataApiToken];
  const inFlight = new Map<string, Promise<TextSearchResult>>();

  const runSearch = async (
    query: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<TextSearchResult> => {
    try {
      const request = signal === undefined ? { query, timeoutMs } : { query, timeoutMs, signal };
      const organic = await provider.search(request);
      const text = redactSecrets(formatSearchResults(query, organic, { maxResults, snippetLength }), secrets);
      // A failed cache write must not turn a good search into a failure.
      await cache?.set(name, query, text).catch(() => undefined);
      return { text, success: true, cached: false };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        text: redactSecrets(formatSearchFailure(query, name, reason), secrets),
        success: false,
        cached: false,
      };
    }
  };

  return {
    provider: name,
    async search(raw, call = {}) {
      const cleaned = cleanQuery(typeof raw === "string" ? raw : String(raw));
      if (!cleaned.ok) return { text: cleaned.text, success: false, cached: false };
      const { query } = cleaned;
      const hit = cache?.get(name, query);
      if (hit !== undefined) return { text: hit, success: true, cached: true };
      const timeoutMs =
        call.timeoutMs !== undefined && call.timeoutMs > 0 ? call.timeoutMs : defaultTimeoutMs;
      // A caller with its own abort signal gets its own request, so aborting it cancels nobody else's.
      if (call.signal !== undefined) return runSearch(query, timeoutMs, call.signal);
      const shared = inFlight.get(query);
      if (shared !== undefined) return shared;
      const started = runSearch(query, timeoutMs, undefined).finally(() => inFlight.delete(query));
      inFlight.set(query, started);
      return started;
    },
    async close() {
      await Promise.allSettled([...inFlight.values()]);
      if (ownsCache) await cache?.flush();
      await provider.close?.();
    },
  };
}

async function createProvider(
  name: SearchProviderName,
  options: TextSearchOptions,
  maxResults: number,
): Promise<SearchProvider> {
  const endpoints = options.endpoints ?? {};
  switch (name) {
    case "serper":
      return serperProvider({ apiKey: options.serperApiKey, maxResults, endpoint: endpoints.serper });
    case "serpapi":
      return serpapiProvider({ apiKey: options.serpapiApiKey, maxResults, endpoint: endpoints.serpapi });
    case "brightdata":
      return brightdataProvider({
        apiToken: options.brightdataApiToken,
        zone: options.brightdataZone,
        maxResults,
        endpoint: endpoints.brightdata,
      });
    case "local":
      if (options.corpus === undefined) {
        throw new SearchError(
          'createTextSearch: the local provider needs a corpus (a JSONL path or documents; HDPO_SEARCH_CORPUS) of {"id","title","url","text"}.',
        );
      }
      return localProvider({ corpus: options.corpus, maxResults, ...options.local });
  }
}

function checkPositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new SearchError(`createTextSearch: ${name} must be a positive number, got ${value}.`);
  }
}
