import type { OrganicResult } from "./search-provider";

/** Results the reference reads from `organic` (the API is asked for as many). */
export const DEFAULT_MAX_RESULTS = 10;
/** Characters of one snippet kept before the reference appends "...". */
export const DEFAULT_SNIPPET_LENGTH = 20000;

const VIDEO_NOISE = "Your browser can't play this video.";

export interface FormatOptions {
  maxResults?: number;
  snippetLength?: number;
}

/**
 * The reference's observation text for a successful search (`_extract_and_format_results` +
 * `_format_basic_results`): the first `maxResults` organic results, numbered by their 1-based position in
 * `organic`, results with an empty or already seen snippet skipped, each snippet cut at `snippetLength`.
 */
export function formatSearchResults(
  query: string,
  organic: OrganicResult[],
  options: FormatOptions = {},
): string {
  if (organic.length === 0) return `No results found for '${query}'.`;
  const maxResults = options.maxResults ?? DEFAULT_MAX_RESULTS;
  const snippetLength = options.snippetLength ?? DEFAULT_SNIPPET_LENGTH;
  const lines: string[] = [];
  const seen = new Set<string>();
  organic.slice(0, maxResults).forEach((result, index) => {
    const title = text(result.title, "No title").trim();
    const link = text(result.link, "").trim();
    // The reference prefers `snippet` and falls back to `description` (Bright Data's key) only when absent.
    let snippet = text(result.snippet === undefined ? result.description : result.snippet, "").trim();
    if (snippet === "" || seen.has(snippet)) return;
    seen.add(snippet);
    if (snippet.length > snippetLength) snippet = `${snippet.slice(0, snippetLength)}...`;
    lines.push(
      `Page ${index + 1}. [Title: ${title}](Link: ${link})\nSnippet: ${snippet}\n`.replaceAll(
        VIDEO_NOISE,
        "",
      ),
    );
  });
  if (lines.length === 0) return `No search results found for ${query}.`;
  return `A Google search for '${query}' found ${lines.length} results:\n\n## Web Results\n${lines.join("\n")}`;
}

/** The reference's failure text; `reason` must already be free of secrets. */
export function formatSearchFailure(query: string, provider: string, reason: string): string {
  return `Search failed for '${query}': Search request via '${provider}' failed for '${query}': ${reason}`;
}

function text(value: unknown, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === "string" ? value : String(value);
}
