import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCuration } from "../pipeline/run-curation";
import { tinyPng, tinyPngDataUri } from "../testing/tiny-png";
import { pythonTrajectoryRow } from "../testing/trajectory-fixture";
import { createHygieneStage } from "./hygiene-stage";

describe("hygiene stage", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "curate-hygiene-"));
    await writeFile(join(dir, "good.png"), tinyPng(8, 8));
    await writeFile(join(dir, "broken.png"), Buffer.from("this is not a png at all"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects each kind of problem with its reason and keeps the clean rows", async () => {
    const base = { question: "What colour is the square in the picture?", answer: "red" };
    const trajectoryTask = { id: "traj-task", question: "Compute 6*7", answer: "42" };
    const good = pythonTrajectoryRow({
      id: "good-trajectory",
      task: trajectoryTask,
      calls: [{ code: "print(6*7)", observation: "42" }],
      answer: "42",
    });
    const malformed = pythonTrajectoryRow({ id: "bad-call", task: trajectoryTask, calls: [], answer: "42" });
    malformed.turns.unshift(
      {
        role: "assistant",
        text: '<tool_call>{"name": "python", "arguments": {"code": "print(1)"</tool_call>',
        finishReason: "tool-call",
      },
      { role: "observation", text: "", valid: false },
    );
    const noAnswer = pythonTrajectoryRow({ id: "no-answer", task: trajectoryTask, calls: [], answer: "x" });
    delete (noAnswer as { answer?: string }).answer;
    const rows: unknown[] = [
      { id: "file-image", ...base, images: ["good.png"] },
      {
        id: "data-image",
        question: "Which shape is shown?",
        answer: "square",
        images: [tinyPngDataUri(4, 4)],
      },
      { id: "missing-image", ...base, images: ["nowhere.png"] },
      { id: "broken-image", ...base, images: ["broken.png"] },
      { id: "empty-answer", question: "Anything?", answer: "  " },
      {
        id: "slots",
        question: "<image> vs <image>: which is larger?",
        answer: "left",
        images: [tinyPngDataUri(4, 4)],
      },
      "not an object",
      {
        id: "exact-dup",
        question: "  what COLOUR is the square in the picture? ",
        answer: "Red",
        images: ["good.png"],
      },
      { id: "other-image", ...base, images: [tinyPngDataUri(6, 6)] },
      {
        id: "near-1",
        question:
          "Alice bought 3 apples and 5 pears at the market on Monday morning; how many fruits did she buy in total?",
        answer: "8",
      },
      {
        id: "near-2",
        question:
          "Alice bought 3 apples and 5 pears at the market on Monday morning, so how many fruits did she buy in total ?",
        answer: "8",
      },
      {
        id: "template",
        question:
          "Alice bought 4 apples and 9 pears at the market on Monday morning; how many fruits did she buy in total?",
        answer: "13",
      },
      good,
      malformed,
      noAnswer,
    ];
    const input = join(dir, "rows.jsonl");
    await writeFile(input, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
    const output = join(dir, "kept.jsonl");
    const result = await runCuration({
      input,
      output,
      stages: [createHygieneStage()],
      reportDir: join(dir, "report"),
    });
    const kept = (await readFile(output, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(kept.map((row) => row.id)).toEqual([
      "file-image",
      "data-image",
      "other-image",
      "near-1",
      "template",
      "good-trajectory",
    ]);
    // Kept lines are the input lines, byte for byte (no annotations from hygiene).
    const inputLines = (await readFile(input, "utf8")).trim().split("\n");
    expect((await readFile(output, "utf8")).trim().split("\n")[0]).toBe(inputLines[0]);
    const rejected = (await readFile(result.rejected, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rejected.map((row) => [row.id, row.reason])).toEqual([
      ["missing-image", "missing-image"],
      ["broken-image", "undecodable-image"],
      ["empty-answer", "missing-answer"],
      ["slots", "missing-image"],
      ["row-6", "malformed-row"],
      ["exact-dup", "exact-duplicate"],
      ["near-2", "near-duplicate"],
      ["bad-call", "malformed-tool-call"],
      ["no-answer", "missing-answer"],
    ]);
    expect(rejected.find((row) => row.id === "exact-dup").detail).toContain("row 0");
    expect(rejected.find((row) => row.id === "near-2").detail).toContain("row 9");
    expect(rejected.every((row) => row.stage === "hygiene")).toBe(true);
    const html = await readFile(result.report!.html, "utf8");
    expect(html).toContain("<td>near-duplicate</td>");
    expect(html).toContain("nowhere.png");
    expect(result.stats!.stages[0]).toMatchObject({ name: "hygiene", rowsIn: 15, rowsOut: 6 });
  });
});
