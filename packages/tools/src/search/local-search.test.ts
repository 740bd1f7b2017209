import { describe, expect, it } from "vitest";
import { checkCorpus } from "./local-corpus";
import { LocalSearchIndex } from "./local-search-index";
import { splitPassages } from "./passages";
import { tokenizeForSearch } from "./search-tokenizer";
import { createTextSearch } from "./text-search";

const FILLER =
  "The committee met on a rainy afternoon and discussed the budget for the coming year at length.";

const corpus = [
  {
    id: "eiffel",
    title: "Eiffel Tower",
    url: "https://example.org/eiffel",
    text: `${FILLER} ${FILLER} The Eiffel Tower was completed in 1889 and stands 330 metres tall on the Champ de Mars in Paris. ${FILLER} ${FILLER}`,
  },
  {
    id: "louvre",
    title: "Louvre",
    url: "https://example.org/louvre",
    text: "The Louvre is the world's most-visited art museum, in Paris, home of the Mona Lisa.",
  },
  {
    id: "tokyo",
    title: "Tokyo Tower",
    url: "https://example.org/tokyo",
    text: "Tokyo Tower is a communications tower in Minato, Tokyo, built in 1958.",
  },
  {
    id: "beijing",
    title: "北京",
    url: "https://example.org/beijing",
    text: "北京是中华人民共和国的首都，也是全国的政治中心。",
  },
];

describe("local search", () => {
  it("ranks by BM25 with the title boosted and quotes the best-matching passage, not the whole text", async () => {
    const index = await LocalSearchIndex.build(checkCorpus(corpus), { passageChars: 120 });
    const hits = index.search("eiffel tower height 1889", 10);
    expect(hits[0]!.document.id).toBe("eiffel");
    expect(hits[0]!.snippet).toBe(
      "The Eiffel Tower was completed in 1889 and stands 330 metres tall on the Champ de Mars in Paris.",
    );
    expect(hits.map((hit) => hit.document.id)).toContain("tokyo");
    expect(hits.map((hit) => hit.document.id)).not.toContain("louvre");
    expect(index.search("zebra quokka", 10)).toEqual([]);
  });

  it("leaves terms found in most documents out of the query, unless no other term is in the index", async () => {
    const many = Array.from({ length: 1500 }, (_, i) => ({
      id: i,
      title: `Note ${i}`,
      text: i === 7 ? "the eiffel tower" : i % 2 === 0 ? "the weather" : "the news of the day",
    }));
    const index = await LocalSearchIndex.build(checkCorpus(many));
    expect(index.documentFrequency("THE")).toBe(1500);
    expect(index.documentFrequency("eiffel")).toBe(1);
    expect(index.effectiveQuery("The Eiffel tower")).toBe("eiffel tower");
    expect(index.effectiveQuery("the zebra")).toBe("the zebra"); // nothing informative left: keep it all
    expect(index.effectiveQuery("the weather eiffel")).toBe("weather eiffel"); // 750 documents: below the floor
    expect(index.search("the eiffel", 10).map((hit) => hit.document.id)).toEqual(["7"]);
    const keepAll = await LocalSearchIndex.build(checkCorpus(many), { maxTermDocumentFraction: 1 });
    expect(keepAll.effectiveQuery("The Eiffel tower")).toBe("The Eiffel tower");
    expect(keepAll.search("the eiffel", 10)).toHaveLength(10);
  });

  it("finds Chinese text through character bigrams", async () => {
    const index = await LocalSearchIndex.build(checkCorpus(corpus));
    expect(index.search("中国的首都", 3)[0]?.document.id).toBe("beijing");
    expect(tokenizeForSearch("北京是 Paris首都")).toEqual(["北京", "京是", "Paris", "首都"]);
  });

  it("gives the hosted providers' text format through createTextSearch, link = url", async () => {
    const search = await createTextSearch({ provider: "local", corpus });
    const result = await search.search("Mona Lisa museum");
    expect(result.success).toBe(true);
    expect(result.text).toBe(
      "A Google search for 'Mona Lisa museum' found 1 results:\n\n## Web Results\n" +
        "Page 1. [Title: Louvre](Link: https://example.org/louvre)\n" +
        "Snippet: The Louvre is the world's most-visited art museum, in Paris, home of the Mona Lisa.\n",
    );
    expect(await search.search("zebra")).toEqual({
      text: "No results found for 'zebra'.",
      success: true,
      cached: false,
    });
  });

  it("needs a corpus", async () => {
    await expect(createTextSearch({ provider: "local" })).rejects.toThrow(/local provider needs a corpus/);
  });
});

describe("splitPassages", () => {
  it("packs sentences into passages near the target and cuts very long sentences at spaces", () => {
    expect(splitPassages("  short text  ")).toEqual(["short text"]);
    const passages = splitPassages(`${"One two three. ".repeat(40)}`, 100);
    expect(passages.length).toBeGreaterThan(4);
    for (const passage of passages) expect(passage.length).toBeLessThanOrEqual(100);
    const long = splitPassages(`${"word ".repeat(200)}`, 50);
    for (const passage of long) expect(passage.length).toBeLessThanOrEqual(50);
    expect(long.join(" ")).toBe("word ".repeat(200).trim());
  });
});
