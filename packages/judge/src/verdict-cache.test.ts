import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JudgeError } from "./judge-error";
import { errorVerdict, llmVerdict } from "./verdict";
import { VerdictCache } from "./verdict-cache";

const KEY = { model: "m", question: "q", groundTruth: "g", prediction: "p" };
let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "hdpo-verdict-cache-"));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("VerdictCache", () => {
  it("keys on every field: changing any one gives another key", () => {
    const base = VerdictCache.keyOf(KEY);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    for (const field of ["model", "question", "groundTruth", "prediction"] as const) {
      expect(VerdictCache.keyOf({ ...KEY, [field]: `${KEY[field]}x` })).not.toBe(base);
    }
    // Fields are delimited: moving a character from one field to the next changes the key.
    expect(VerdictCache.keyOf({ ...KEY, question: "qg", groundTruth: "" })).not.toBe(
      VerdictCache.keyOf({ ...KEY, question: "q", groundTruth: "g" }),
    );
  });

  it("stores ok verdicts only and marks hits as cached", async () => {
    const cache = VerdictCache.inMemory();
    await cache.set(KEY, errorVerdict("timeout: x"));
    expect(cache.get(KEY)).toBeUndefined();
    await cache.set(KEY, { ...llmVerdict(true), cached: true });
    expect(cache.get(KEY)).toEqual({ ...llmVerdict(true), cached: true });
    expect(cache.size).toBe(1);
  });

  it("appends one JSON line per verdict and loads them back, skipping torn lines", async () => {
    const file = join(folder, "v.jsonl");
    const cache = await VerdictCache.open(file);
    await Promise.all([
      cache.set(KEY, llmVerdict(true)),
      cache.set({ ...KEY, prediction: "p2" }, llmVerdict(false)),
    ]);
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines).toHaveLength(3); // two lines and the final newline
    expect(JSON.parse(lines[0]!)).toEqual({ key: VerdictCache.keyOf(KEY), verdict: llmVerdict(true) });
    // A later line for the same key wins; a torn last line (a crash mid-write) is skipped.
    await appendFile(
      file,
      `${JSON.stringify({ key: VerdictCache.keyOf(KEY), verdict: llmVerdict(false) })}\n{"key":"ab`,
    );
    const reloaded = await VerdictCache.open(file);
    expect(reloaded.size).toBe(2);
    expect(reloaded.skippedLines).toBe(1);
    expect(reloaded.get(KEY)?.correct).toBe(false);
    expect(reloaded.get({ ...KEY, prediction: "p2" })?.correct).toBe(false);
  });

  it("skips lines that parse but are not verdicts", async () => {
    const file = join(folder, "bad.jsonl");
    await writeFile(
      file,
      '{"key":"k","verdict":{"status":"ok","score":2,"correct":true,"decidedBy":"llm"}}\n[1]\n',
    );
    const cache = await VerdictCache.open(file);
    expect(cache.size).toBe(0);
    expect(cache.skippedLines).toBe(2);
  });

  it("rejects an empty path", async () => {
    await expect(VerdictCache.open("")).rejects.toThrow(JudgeError);
  });
});
