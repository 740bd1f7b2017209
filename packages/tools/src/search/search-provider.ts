/** The text search backends: three hosted Google APIs as in the reference, and an offline BM25 index. */
export type SearchProviderName = "serper" | "serpapi" | "brightdata" | "local";

export const SEARCH_PROVIDER_NAMES: readonly SearchProviderName[] = [
  "serper",
  "serpapi",
  "brightdata",
  "local",
];

/** One organic result, the shape every provider is reduced to before formatting. */
export interface OrganicResult {
  title?: unknown;
  link?: unknown;
  snippet?: unknown;
  description?: unknown;
}

/** What a provider is asked for one cleaned query. */
export interface ProviderRequest {
  query: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One backend. `search` resolves with the organic results (possibly none) or rejects with a
 * `SearchRequestError` whose message is safe to show to a model (no keys).
 */
export interface SearchProvider {
  readonly name: SearchProviderName;
  search(request: ProviderRequest): Promise<OrganicResult[]>;
  close?(): Promise<void>;
}

/** A provider request that failed; the message is already redacted and becomes part of the observation. */
export class SearchRequestError extends Error {
  override readonly name = "SearchRequestError";
}

export function isSearchProviderName(value: string): value is SearchProviderName {
  return (SEARCH_PROVIDER_NAMES as readonly string[]).includes(value);
}
