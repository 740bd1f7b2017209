import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Journal, type JournalHeader } from "./journal";

const header: JournalHeader = {
  kind: "hdpo-curate-journal",
  version: 1,
  input: "/in.jsonl",
  rows: 5,
  filters: ["hygiene"],
  settings: {},
};

describe("Journal", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "curate-journal-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads back decisions, cuts a line torn by a kill, and lets the last decision of a row win", async () => {
    const path = join(dir, "j1");
    const journal = Journal.open(path, header);
    journal.append({ index: 0, id: "a", decision: "keep" });
    journal.append({
      index: 3,
      id: "d",
      decision: "error",
      stage: "judge",
      reason: "judge-error",
      detail: "down",
    });
    journal.close();
    await appendFile(path, '{"index":1,"id":"b","deci'); // the kill landed mid-write
    const reopened = Journal.open(path, header);
    expect(reopened.state.finished).toBe(2);
    expect([...reopened.state.status]).toEqual([1, 0, 0, 3, 0]);
    expect(reopened.read(3)).toMatchObject({ reason: "judge-error" });
    reopened.append({
      index: 1,
      id: "b",
      decision: "reject",
      stage: "hygiene",
      reason: "exact-duplicate",
      detail: "row 0",
    });
    reopened.close();
    expect((await readFile(path, "utf8")).endsWith('"detail":"row 0"}\n')).toBe(true);
    const retry = Journal.open(path, header, { retryErrors: true });
    expect([...retry.state.status]).toEqual([1, 2, 0, 0, 0]);
    retry.append({ index: 3, id: "d", decision: "keep" });
    retry.flush();
    expect(retry.read(3)).toEqual({ index: 3, id: "d", decision: "keep" });
    retry.close();
  });

  it("refuses to resume with other options", () => {
    const path = join(dir, "j2");
    Journal.open(path, header).close();
    expect(() => Journal.open(path, { ...header, settings: { k: 4 } })).toThrow(
      /written for other options.*delete the journal/,
    );
  });
});
