export { EMPTY_QUERY_TEXT, MAX_QUERY_LENGTH, QUERY_TOO_LONG_TEXT } from "./clean-query";
export { formatSearchFailure, formatSearchResults } from "./format-results";
export { DEFAULT_SEARCH_ENDPOINTS } from "./hosted-providers";
export type { CorpusDocument, CorpusDocumentInput } from "./local-corpus";
export { checkCorpus, loadCorpusFile } from "./local-corpus";
export type { LocalSearchHit, LocalSearchIndexOptions } from "./local-search-index";
export { LocalSearchIndex } from "./local-search-index";
export type { SearchCacheOptions } from "./search-cache";
export { DEFAULT_CACHE_MAX_ENTRIES, DEFAULT_CACHE_TTL_MS, SearchCache } from "./search-cache";
export { SearchError } from "./search-error";
export type { OrganicResult, SearchProviderName } from "./search-provider";
export { SEARCH_PROVIDER_NAMES } from "./search-provider";
export type { TextSearch, TextSearchCallOptions, TextSearchResult } from "./text-search";
export { createTextSearch } from "./text-search";
export type { TextSearchOptions } from "./text-search-options";
export {
  DEFAULT_SEARCH_TIMEOUT_MS,
  defaultSearchCachePath,
  textSearchOptionsFromEnv,
} from "./text-search-options";
