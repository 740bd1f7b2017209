import { createTextSearch, type TextSearch } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSuite } from "../generate-suite";
import { SPLIT_NAMES } from "../suite-types";

/** Results a model reads before giving up on a query; the fact's document must be among them. */
const TOP = 3;
const suite = generateSuite({ seed: 5, families: ["search"] });
const tasks = SPLIT_NAMES.flatMap((split) => suite.tasks[split]);
let search: TextSearch;

beforeAll(async () => {
  search = await createTextSearch({ provider: "local", corpus: suite.corpus, cache: false });
});
afterAll(() => search.close());

/** The links of a search observation, in rank order ("Page i. [Title: …](Link: …)"). */
function links(observation: string): string[] {
  return [...observation.matchAll(/^Page \d+\. \[Title: .*?\]\(Link: (.*?)\)$/gm)].map((match) => match[1]!);
}

describe("search family over the real local provider", () => {
  it("puts the fact's document in the top results for the question, and for the entity's name", async () => {
    const urlOf = new Map(suite.corpus.map((doc) => [doc.id, doc.url]));
    let first = 0;
    for (const task of tasks) {
      const target = urlOf.get(task.extraInfo!.documentId as string)!;
      const byQuestion = await search.search(task.question);
      expect(byQuestion.success).toBe(true);
      const ranked = links(byQuestion.text);
      expect(ranked.slice(0, TOP), `${task.question} → ${ranked.join(", ")}`).toContain(target);
      if (ranked[0] === target) first++;
      const byName = links((await search.search(task.extraInfo!.entity as string)).text);
      expect(byName.slice(0, TOP)).toContain(target);
    }
    // Nearly always first: the near-miss distractor names the entity once, its own document throughout.
    expect(first / tasks.length).toBeGreaterThan(0.9);
  });

  it("adds distractors: a near miss naming the entity with a different value, and an unrelated entity", () => {
    expect(suite.corpus).toHaveLength(tasks.length * 3);
    for (const task of tasks.slice(0, 20)) {
      const entity = task.extraInfo!.entity as string;
      const mentions = suite.corpus.filter((doc) => doc.text.includes(entity));
      expect(mentions).toHaveLength(2);
      const nearMiss = mentions.find((doc) => doc.id !== task.extraInfo!.documentId)!;
      expect(nearMiss.text).toContain(`often confused with ${entity}`);
    }
  });

  it("writes corpus documents in the local provider's {id, title, url, text} shape with unique ids", () => {
    const ids = suite.corpus.map((doc) => doc.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const doc of suite.corpus) expect(Object.keys(doc).sort()).toEqual(["id", "text", "title", "url"]);
  });
});
