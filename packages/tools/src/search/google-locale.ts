/**
 * The reference's language test: any character in U+4E00..U+9FFF (CJK Unified Ideographs). Kana and Hangul
 * do not count, exactly as in the reference.
 */
export function containsChinese(text: string): boolean {
  for (const char of text) {
    if (char >= "\u4e00" && char <= "\u9fff") return true;
  }
  return false;
}

/** `hl`/`gl` Google parameters the reference sends (serpapi, brightdata): zh-cn/cn for Chinese, else en/us. */
export function googleLocale(query: string): { hl: string; gl: string } {
  return containsChinese(query) ? { hl: "zh-cn", gl: "cn" } : { hl: "en", gl: "us" };
}

/**
 * Python's `urllib.parse.quote(text)` (safe="/"), which the reference uses to put the query into the Google URL
 * sent to Bright Data: UTF-8 percent-encoding of everything but letters, digits, `_.-~` and `/`.
 */
export function pythonQuote(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll("%2F", "/");
}
