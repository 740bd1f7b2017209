import { describe, expect, it } from "vitest";
import { cleanQuery, EMPTY_QUERY_TEXT, QUERY_TOO_LONG_TEXT } from "./clean-query";
import { formatSearchFailure, formatSearchResults } from "./format-results";
import { containsChinese, googleLocale, pythonQuote } from "./google-locale";

describe("formatSearchResults", () => {
  it("writes the reference's header and one 'Page i.' block per result, joined by a newline", () => {
    const text = formatSearchResults("capital of france", [
      { title: " Paris ", link: " https://en.wikipedia.org/wiki/Paris ", snippet: " Paris is the capital. " },
      { title: "France", link: "https://fr.example", snippet: "A country." },
    ]);
    expect(text).toBe(
      "A Google search for 'capital of france' found 2 results:\n\n## Web Results\n" +
        "Page 1. [Title: Paris](Link: https://en.wikipedia.org/wiki/Paris)\nSnippet: Paris is the capital.\n" +
        "\n" +
        "Page 2. [Title: France](Link: https://fr.example)\nSnippet: A country.\n",
    );
  });

  it("skips empty and repeated snippets but keeps numbering by position in organic", () => {
    const text = formatSearchResults("q", [
      { title: "a", link: "l1", snippet: "same" },
      { title: "b", link: "l2", snippet: "   " },
      { title: "c", link: "l3", snippet: "same" },
      { title: "d", link: "l4", description: "from description" },
    ]);
    expect(text).toContain("found 2 results");
    expect(text).toContain("Page 1. [Title: a](Link: l1)\nSnippet: same\n");
    expect(text).toContain("Page 4. [Title: d](Link: l4)\nSnippet: from description\n");
    expect(text).not.toContain("Page 2.");
    expect(text).not.toContain("Page 3.");
  });

  it("uses 'No title', reads only the first maxResults results and cuts long snippets with '...'", () => {
    const organic = Array.from({ length: 12 }, (_, i) => ({ link: `l${i}`, snippet: `s${i}` }));
    const text = formatSearchResults("q", organic);
    expect(text).toContain("found 10 results");
    expect(text).toContain("Page 10. [Title: No title](Link: l9)");
    expect(text).not.toContain("Page 11.");
    const long = formatSearchResults("q", [{ title: "t", link: "l", snippet: "x".repeat(30) }], {
      snippetLength: 20,
    });
    expect(long).toContain(`Snippet: ${"x".repeat(20)}...\n`);
  });

  it("removes the 'Your browser can't play this video.' noise", () => {
    const text = formatSearchResults("q", [
      { title: "v", link: "l", snippet: "Clip. Your browser can't play this video." },
    ]);
    expect(text).toContain("Snippet: Clip. \n");
  });

  it("says no results in the reference's two wordings", () => {
    expect(formatSearchResults("q x", [])).toBe("No results found for 'q x'.");
    expect(formatSearchResults("q x", [{ title: "t", snippet: "" }])).toBe(
      "No search results found for q x.",
    );
  });

  it("writes the failure text with the provider", () => {
    expect(formatSearchFailure("q", "serper", "HTTP 500")).toBe(
      "Search failed for 'q': Search request via 'serper' failed for 'q': HTTP 500",
    );
  });
});

describe("cleanQuery", () => {
  it("trims, removes double quotes and refuses empty or over-long queries", () => {
    expect(cleanQuery('  "exact phrase" here ')).toEqual({ ok: true, query: "exact phrase here" });
    expect(cleanQuery(' "" ')).toEqual({ ok: false, text: EMPTY_QUERY_TEXT });
    expect(cleanQuery("a".repeat(1000))).toEqual({ ok: true, query: "a".repeat(1000) });
    expect(cleanQuery("a".repeat(1001))).toEqual({ ok: false, text: QUERY_TOO_LONG_TEXT });
    expect(EMPTY_QUERY_TEXT).toBe("Empty search query provided.");
    expect(QUERY_TOO_LONG_TEXT).toBe("Search query too long (maximum 1000 characters).");
  });
});

describe("googleLocale and pythonQuote", () => {
  it("picks zh-cn/cn only for CJK ideographs, as the reference", () => {
    expect(googleLocale("北京 weather")).toEqual({ hl: "zh-cn", gl: "cn" });
    expect(googleLocale("weather in paris")).toEqual({ hl: "en", gl: "us" });
    expect(containsChinese("ひらがな")).toBe(false);
  });

  it("percent-encodes like urllib.parse.quote (safe '/')", () => {
    // Values computed with Python 3: urllib.parse.quote("a b/c&d=e!'()*~_.-北")
    expect(pythonQuote("a b/c&d=e!'()*~_.-北")).toBe("a%20b/c%26d%3De%21%27%28%29%2A~_.-%E5%8C%97");
  });
});
