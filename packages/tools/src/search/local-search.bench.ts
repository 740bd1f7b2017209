import { bench, describe } from "vitest";
import type { CorpusDocument } from "./local-corpus";
import { LocalSearchIndex } from "./local-search-index";

// A synthetic corpus shaped like short web snippets: 100k documents of 25-50 words (title 3-6 words) drawn
// from a 30k-word vocabulary with a Zipf-like skew, so common words are common and rare words rare.
const DOCUMENTS = 100_000;
const VOCABULARY = 30_000;

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(42);
const syllables = [
  "ka",
  "lo",
  "mi",
  "re",
  "tu",
  "san",
  "vel",
  "dor",
  "qui",
  "zen",
  "pha",
  "bri",
  "nox",
  "ter",
  "ul",
];
const words = Array.from({ length: VOCABULARY }, (_, i) => {
  let word = "";
  for (let n = i + 1; n > 0; n = Math.floor(n / syllables.length)) word += syllables[n % syllables.length];
  return word;
});
const zipfWord = () => words[Math.min(VOCABULARY - 1, Math.floor(VOCABULARY ** random()) - 1)]!;
const sentence = (length: number) => Array.from({ length }, zipfWord).join(" ");

const corpus: CorpusDocument[] = Array.from({ length: DOCUMENTS }, (_, i) => ({
  id: String(i),
  title: sentence(3 + Math.floor(random() * 4)),
  url: `https://example.org/${i}`,
  text: `${sentence(12 + Math.floor(random() * 13))}. ${sentence(13 + Math.floor(random() * 13))}.`,
}));
const queries = Array.from({ length: 200 }, () => sentence(2 + Math.floor(random() * 4)));

const index = await LocalSearchIndex.build(corpus);
let next = 0;

describe(`local BM25 search over ${DOCUMENTS} short documents`, () => {
  bench(
    "build the index",
    async () => {
      await LocalSearchIndex.build(corpus);
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );

  bench(
    "one query (top 10 with snippets)",
    () => {
      index.search(queries[next++ % queries.length]!, 10);
    },
    { iterations: 200, warmupIterations: 20 },
  );
});
