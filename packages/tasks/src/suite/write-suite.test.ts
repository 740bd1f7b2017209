import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTextSearch } from "@hdpo/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataset, readAllTasks } from "../datasets/open-dataset";
import { TasksError } from "../tasks-error";
import { tinySuite } from "../testing";
import { readSuite } from "./read-suite";
import { writeSuite } from "./write-suite";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-tasks-suite-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const suite = tinySuite(21);

describe("writeSuite", () => {
  it("writes every split in both formats, the corpus and a manifest, and reads the suite back unchanged", async () => {
    const out = join(dir, "both");
    const written = await writeSuite(out, suite);
    expect((await readdir(out)).sort()).toEqual([
      "corpus.jsonl",
      "suite.json",
      "test.jsonl",
      "test.parquet",
      "train.jsonl",
      "train.parquet",
      "val.jsonl",
      "val.parquet",
    ]);
    expect(Object.keys(written.files)).toHaveLength(6);
    expect(JSON.parse(await readFile(written.manifest, "utf8"))).toEqual({
      seed: 21,
      formats: ["parquet", "jsonl"],
      tasks: { train: 16, val: 8, test: 8 },
      corpusDocuments: suite.corpus.length,
    });
    expect(await readSuite(out)).toEqual(suite);
    const fromParquet = await readSuite(out, { format: "parquet" });
    expect(fromParquet.tasks.test.map((task) => [task.id, task.answer, task.toolNecessity])).toEqual(
      suite.tasks.test.map((task) => [task.id, task.answer, task.toolNecessity]),
    );
  });

  it("writes a corpus file the local search provider loads", async () => {
    const out = join(dir, "jsonl-only");
    const written = await writeSuite(out, suite, { formats: ["jsonl"] });
    expect((await readdir(out)).some((name) => name.endsWith(".parquet"))).toBe(false);
    const search = await createTextSearch({ provider: "local", corpus: written.corpus, cache: false });
    try {
      const task = suite.tasks.train.find((t) => t.category === "search")!;
      const result = await search.search(task.question);
      const target = suite.corpus.find((doc) => doc.id === task.extraInfo!.documentId)!;
      expect(result.text).toContain(`(Link: ${target.url})`);
    } finally {
      await search.close();
    }
    expect((await readAllTasks(await openDataset(join(out, "val.jsonl")))).length).toBe(8);
  });

  it("puts the system prompt into Parquet rows and refuses unknown formats", async () => {
    const out = join(dir, "prompted");
    await writeSuite(out, suite, {
      formats: ["parquet"],
      systemPrompt: (task) => `tools for ${task.category}`,
    });
    const [first] = await readAllTasks(await openDataset(join(out, "train.parquet")));
    expect(first!.prompt![0]).toEqual({ role: "system", content: `tools for ${first!.category}` });
    // biome-ignore lint/suspicious/noExplicitAny: an unknown format is the point of the test
    await expect(writeSuite(out, suite, { formats: ["csv" as any] })).rejects.toThrow(TasksError);
    await expect(readSuite(join(dir, "nothing-here"))).rejects.toThrow(
      /is .* a folder written by writeSuite/,
    );
  });
});
