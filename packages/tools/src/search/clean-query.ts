/** Longest query the reference accepts (characters, after cleaning). */
export const MAX_QUERY_LENGTH = 1000;

export const EMPTY_QUERY_TEXT = "Empty search query provided.";
export const QUERY_TOO_LONG_TEXT = "Search query too long (maximum 1000 characters).";

/** A query after the reference's cleaning, or the reference's text for why it cannot be searched. */
export type CleanedQuery = { ok: true; query: string } | { ok: false; text: string };

/** The reference's rules: trim, drop every `"`, refuse empty and over-long queries. */
export function cleanQuery(raw: string): CleanedQuery {
  const query = raw.trim().replaceAll('"', "");
  if (query === "") return { ok: false, text: EMPTY_QUERY_TEXT };
  if (query.length > MAX_QUERY_LENGTH) return { ok: false, text: QUERY_TOO_LONG_TEXT };
  return { ok: true, query };
}
