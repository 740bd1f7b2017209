import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Prediction } from "./prediction";
import { PredictionsLog, readPredictions } from "./predictions-log";
import { tempDir } from "./test-support/temp-dir";
import { examplePrediction } from "./testing";

/** A record with a multi-line, non-ASCII response and several ground truths: what the log must round-trip. */
function prediction(id: string): Prediction {
  return examplePrediction(id, {
    groundTruth: ["a", "b"],
    response: "line one\nline two \u2028 ünïcode",
    timings: { totalMs: 1, modelMs: 1, toolMs: 0, judgeMs: 0 },
    tokens: undefined,
  });
}

describe("predictions.jsonl", () => {
  it("appends one complete line per item, concurrent appends never interleave, and reads them back", async () => {
    const path = join(await tempDir("hdpo-eval-log-"), "predictions.jsonl");
    const log = await PredictionsLog.open(path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(prediction(`p${i}`))));
    await log.close();
    const text = await readFile(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(51);
    const { predictions, droppedBytes } = await readPredictions(path);
    expect(droppedBytes).toBe(0);
    expect(predictions.map((p) => p.id)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
    expect(predictions[0]).toEqual(prediction("p0"));
  });

  it("cuts a torn last line from the file and keeps every complete one", async () => {
    const path = join(await tempDir("hdpo-eval-torn-"), "predictions.jsonl");
    await writeFile(
      path,
      `${JSON.stringify(prediction("a"))}\n${JSON.stringify(prediction("b")).slice(0, 40)}`,
    );
    const { predictions, droppedBytes } = await readPredictions(path);
    expect(predictions.map((p) => p.id)).toEqual(["a"]);
    expect(droppedBytes).toBe(40);
    expect(await readFile(path, "utf8")).toBe(`${JSON.stringify(prediction("a"))}\n`);
    // the next append starts on a fresh line
    const log = await PredictionsLog.open(path);
    await log.append(prediction("b"));
    await log.close();
    expect((await readPredictions(path)).predictions.map((p) => p.id)).toEqual(["a", "b"]);
  });

  it("refuses a corrupt complete line, naming it, instead of guessing", async () => {
    const path = join(await tempDir("hdpo-eval-corrupt-"), "predictions.jsonl");
    await writeFile(path, `${JSON.stringify(prediction("a"))}\nnot json\n`);
    await expect(readPredictions(path)).rejects.toThrow(/line 2 is not JSON/);
    await writeFile(path, `${JSON.stringify({ id: "x" })}\n`);
    await expect(readPredictions(path)).rejects.toThrow(/line 1 is not a prediction/);
  });

  it("keeps the first of two records with the same id", async () => {
    const path = join(await tempDir("hdpo-eval-dup-"), "predictions.jsonl");
    await writeFile(path, `${JSON.stringify(prediction("a"))}\n`);
    await appendFile(path, `${JSON.stringify({ ...prediction("a"), score: 0 })}\n`);
    const { predictions } = await readPredictions(path);
    expect(predictions).toHaveLength(1);
    expect(predictions[0]!.score).toBe(1);
  });

  it("treats a missing file as an empty run", async () => {
    expect(await readPredictions(join(await tempDir("hdpo-eval-none-"), "predictions.jsonl"))).toEqual({
      predictions: [],
      droppedBytes: 0,
    });
  });
});
