import MiniSearch from "minisearch";

const defaultTokenize = MiniSearch.getDefault("tokenize") as (text: string) => string[];
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
const HAS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * MiniSearch's tokenizer (splits on spaces and punctuation) plus overlapping character bigrams for runs of
 * CJK characters, which are written without spaces: without them a whole Chinese sentence would be a single
 * term and never match a query.
 */
export function tokenizeForSearch(text: string): string[] {
  const out: string[] = [];
  for (const token of defaultTokenize(text)) {
    if (token === "") continue;
    if (!HAS_CJK.test(token)) {
      out.push(token);
      continue;
    }
    let last = 0;
    for (const match of token.matchAll(CJK_RUN)) {
      const start = match.index ?? 0;
      if (start > last) out.push(token.slice(last, start));
      out.push(...bigrams(match[0]));
      last = start + match[0].length;
    }
    if (last < token.length) out.push(token.slice(last));
  }
  return out;
}

function bigrams(run: string): string[] {
  const chars = Array.from(run);
  if (chars.length === 1) return chars;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}
