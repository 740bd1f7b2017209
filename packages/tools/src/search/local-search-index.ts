import MiniSearch, { type SearchOptions } from "minisearch";
import type { CorpusDocument } from "./local-corpus";
import { DEFAULT_PASSAGE_CHARS, splitPassages } from "./passages";
import { tokenizeForSearch } from "./search-tokenizer";

export interface LocalSearchIndexOptions {
  /** Characters a snippet passage aims for (default 300). */
  passageChars?: number;
  /** MiniSearch search options merged over the defaults (OR of terms, title boosted 2x, BM25+). */
  searchOptions?: SearchOptions;
  /**
   * Query terms found in more than this fraction of the documents (and in more than 1000) are left out of
   * the query when another term of the query is in the index (default 0.2; 1 keeps every term). Such terms add little to BM25 (IDF below ln 5) but make
   * MiniSearch score most of the corpus: on 100k documents, a query with two very common words takes
   * hundreds of milliseconds instead of a few. Corpus statistics, so no language's stop-word list is assumed.
   */
  maxTermDocumentFraction?: number;
}

/** A hit: the corpus document and the passage of its text that best matches the query. */
export interface LocalSearchHit {
  document: CorpusDocument;
  score: number;
  snippet: string;
}

const DEFAULT_SEARCH_OPTIONS: SearchOptions = { combineWith: "OR", boost: { title: 2 } };
const DEFAULT_MAX_TERM_DOCUMENT_FRACTION = 0.2;
/** Terms in fewer documents are never left out: scoring a thousand documents is cheap. */
const MIN_PRUNED_DOCUMENT_FREQUENCY = 1000;

/** Documents containing a term, and the last one counted (MiniSearch passes a document's terms in a row). */
interface TermCount {
  documents: number;
  lastDocument: number;
}

function lowercase(term: string): string {
  return term.toLowerCase();
}

/**
 * A BM25+ index (MiniSearch) over the `title` and `text` of a corpus. Documents are indexed by their position
 * in the corpus array, so the index holds no copy of them. Document frequencies are counted while indexing,
 * so queries can leave out terms common to most documents (`maxTermDocumentFraction`). Snippets: the hit's text is cut into passages
 * and the passages of all hits are ranked by a second, small MiniSearch index, so each hit quotes its best
 * passage rather than its whole text.
 */
export class LocalSearchIndex {
  readonly documents: readonly CorpusDocument[];
  readonly #index: MiniSearch<number>;
  readonly #passageChars: number;
  readonly #searchOptions: SearchOptions;
  readonly #documentFrequency: ReadonlyMap<string, TermCount>;
  readonly #maxTermDocuments: number;

  private constructor(
    documents: readonly CorpusDocument[],
    index: MiniSearch<number>,
    documentFrequency: ReadonlyMap<string, TermCount>,
    options: LocalSearchIndexOptions,
  ) {
    this.documents = documents;
    this.#index = index;
    this.#documentFrequency = documentFrequency;
    this.#maxTermDocuments = Math.max(
      MIN_PRUNED_DOCUMENT_FREQUENCY,
      (options.maxTermDocumentFraction ?? DEFAULT_MAX_TERM_DOCUMENT_FRACTION) * documents.length,
    );
    this.#passageChars = options.passageChars ?? DEFAULT_PASSAGE_CHARS;
    this.#searchOptions = { ...DEFAULT_SEARCH_OPTIONS, processTerm: lowercase, ...options.searchOptions };
  }

  /** Indexes the documents, yielding to the event loop between chunks so a server stays responsive. */
  static async build(
    documents: readonly CorpusDocument[],
    options: LocalSearchIndexOptions = {},
  ): Promise<LocalSearchIndex> {
    // Document frequencies are counted as MiniSearch indexes: it extracts a document's id before its fields,
    // then passes every term through processTerm.
    const documentFrequency = new Map<string, TermCount>();
    let current = -1;
    const index = new MiniSearch<number>({
      fields: ["title", "text"],
      idField: "position",
      extractField: (position, field) => {
        if (field !== "position") return documents[position]![field as "title" | "text"];
        current = position;
        return position;
      },
      tokenize: tokenizeForSearch,
      processTerm: (term) => {
        const processed = term.toLowerCase();
        const count = documentFrequency.get(processed);
        if (count === undefined) documentFrequency.set(processed, { documents: 1, lastDocument: current });
        else if (count.lastDocument !== current) {
          count.documents++;
          count.lastDocument = current;
        }
        return processed;
      },
    });
    await index.addAllAsync(
      documents.map((_, position) => position),
      { chunkSize: 2000 },
    );
    return new LocalSearchIndex(documents, index, documentFrequency, options);
  }

  /** How many documents contain `term` (after tokenizing and lower-casing). */
  documentFrequency(term: string): number {
    return this.#documentFrequency.get(term.toLowerCase())?.documents ?? 0;
  }

  /** The query MiniSearch is given: `query` without its very common terms, unless nothing else is left. */
  effectiveQuery(query: string): string {
    const terms = tokenizeForSearch(query).map(lowercase);
    const frequencies = terms.map((term) => this.#documentFrequency.get(term)?.documents ?? 0);
    const common = frequencies.filter((df) => df > this.#maxTermDocuments).length;
    const informative = frequencies.filter((df) => df > 0 && df <= this.#maxTermDocuments).length;
    if (common === 0 || informative === 0) return query;
    return terms.filter((_, i) => frequencies[i]! <= this.#maxTermDocuments).join(" ");
  }

  /** The `limit` best documents for `query`, best first (none when no term matches). */
  search(query: string, limit: number): LocalSearchHit[] {
    const results = this.#index.search(this.effectiveQuery(query), this.#searchOptions).slice(0, limit);
    if (results.length === 0) return [];
    const passagesOf = results.map((result) =>
      splitPassages(this.documents[result.id as number]!.text, this.#passageChars),
    );
    const best = bestPassages(query, passagesOf);
    return results.map((result, rank) => ({
      document: this.documents[result.id as number]!,
      score: result.score,
      snippet: best[rank] ?? "",
    }));
  }
}

/**
 * For each hit's passages, the one that best matches `query` by BM25+ over all hits' passages; a hit whose
 * passages do not match (it matched on its title) quotes its first passage.
 */
function bestPassages(query: string, passagesOf: string[][]): string[] {
  const best = passagesOf.map((passages) => passages[0] ?? "");
  const flat: { hit: number; text: string }[] = [];
  passagesOf.forEach((passages, hit) => {
    if (passages.length > 1) for (const text of passages) flat.push({ hit, text });
  });
  if (flat.length === 0) return best;
  const index = new MiniSearch<number>({
    fields: ["text"],
    idField: "position",
    extractField: (position, field) => (field === "position" ? position : flat[position]!.text),
    tokenize: tokenizeForSearch,
  });
  index.addAll(flat.map((_, position) => position));
  const chosen = new Set<number>();
  for (const result of index.search(query, { combineWith: "OR" })) {
    const passage = flat[result.id as number]!;
    if (chosen.has(passage.hit)) continue;
    chosen.add(passage.hit);
    best[passage.hit] = passage.text;
  }
  return best;
}
