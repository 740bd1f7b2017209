import { type CorpusDocumentInput, checkCorpus, loadCorpusFile } from "./local-corpus";
import { LocalSearchIndex, type LocalSearchIndexOptions } from "./local-search-index";
import type { OrganicResult, ProviderRequest, SearchProvider } from "./search-provider";

export interface LocalProviderOptions extends LocalSearchIndexOptions {
  /** A JSONL file path, or the documents themselves. */
  corpus: string | readonly CorpusDocumentInput[];
  maxResults: number;
}

/** The `local` provider: no network, no key; organic results are (title, link = url, snippet = best passage). */
export interface LocalSearchProvider extends SearchProvider {
  readonly index: LocalSearchIndex;
}

/**
 * Loads the corpus and builds its index once.
 *
 * @throws SearchError for an unreadable or malformed corpus (with line numbers).
 */
export async function localProvider(options: LocalProviderOptions): Promise<LocalSearchProvider> {
  const documents =
    typeof options.corpus === "string" ? await loadCorpusFile(options.corpus) : checkCorpus(options.corpus);
  const index = await LocalSearchIndex.build(documents, options);
  return {
    name: "local",
    index,
    async search({ query }: ProviderRequest): Promise<OrganicResult[]> {
      return index.search(query, options.maxResults).map((hit) => ({
        title: hit.document.title === "" ? "No title" : hit.document.title,
        link: hit.document.url,
        snippet: hit.snippet,
      }));
    },
  };
}
