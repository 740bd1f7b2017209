import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkCorpus, loadCorpusFile } from "./local-corpus";
import { SearchError } from "./search-error";

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "hdpo-corpus-"));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("loadCorpusFile", () => {
  it("reads JSONL rows, skipping blank lines and defaulting title and url", async () => {
    const path = join(folder, "corpus.jsonl");
    await writeFile(
      path,
      `{"id":"a","title":"A","url":"https://a","text":"alpha"}\n\n{"id":7,"text":"seven"}\r\n`,
    );
    expect(await loadCorpusFile(path)).toEqual([
      { id: "a", title: "A", url: "https://a", text: "alpha" },
      { id: "7", title: "", url: "", text: "seven" },
    ]);
  });

  it("names the line number and the fault of every malformed row", async () => {
    const path = join(folder, "bad.jsonl");
    await writeFile(
      path,
      [
        `{"id":"ok","text":"fine"}`,
        `{"id":"x","text":`,
        `["not","an","object"]`,
        `{"id":"y"}`,
        `{"id":"ok","text":"again"}`,
        `{"id":"z","text":"t","title":5}`,
      ].join("\n"),
    );
    const error = await loadCorpusFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchError);
    const message = (error as Error).message;
    expect(message).toContain("has 5 malformed row(s)");
    expect(message).toMatch(/line 2: not valid JSON/);
    expect(message).toContain("line 3: expected an object");
    expect(message).toContain('line 4: "text" must be a string');
    expect(message).toContain('line 5: id "ok" repeats line 1');
    expect(message).toContain('line 6: "title" must be a string');
  });

  it("says so when the file is missing or empty", async () => {
    await expect(loadCorpusFile(join(folder, "missing.jsonl"))).rejects.toThrow(
      /cannot read .*missing\.jsonl.*HDPO_SEARCH_CORPUS/,
    );
    const empty = join(folder, "empty.jsonl");
    await writeFile(empty, "\n\n");
    await expect(loadCorpusFile(empty)).rejects.toThrow(/has no documents/);
  });
});

describe("checkCorpus", () => {
  it("checks in-memory documents by index", () => {
    expect(() =>
      checkCorpus([
        { id: 1, text: "a" },
        { id: "1", text: "b" },
      ]),
    ).toThrow(/document 1: id "1" repeats document 0/);
    expect(() => checkCorpus([])).toThrow(/empty/);
  });
});
