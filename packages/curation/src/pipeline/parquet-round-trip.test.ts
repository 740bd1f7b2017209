import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task } from "@hdpo/core";
import { openDataset, readAllTasks, writeParquetTasks } from "@hdpo/tasks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { annotateTask } from "../output/annotate";
import { ParquetTaskWriter, ROW_GROUP_SIZE } from "../output/parquet-task-writer";
import { createHygieneStage } from "../stages/hygiene-stage";
import { tinyPngDataUri } from "../testing/tiny-png";
import { runCuration } from "./run-curation";

describe("Parquet in, Parquet out", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "curate-parquet-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps rows in the reference schema, with images and extra_info, across row groups", async () => {
    const tasks: Task[] = Array.from({ length: 600 }, (_, i) => ({
      id: `p${i}`,
      question: `What number is written on card ${i}?`,
      answer: String(i),
      images: [tinyPngDataUri(8 + (i % 5), 8)],
      category: "cards",
      extraInfo: { split: "train", pass8: 0.25 },
    }));
    // Row 600 repeats row 10 under another id: hygiene drops it.
    tasks.push({ ...tasks[10]!, id: "copy-of-p10" });
    const input = join(dir, "in.parquet");
    await writeParquetTasks(input, tasks);
    const output = join(dir, "out.parquet");
    const result = await runCuration({ input, output, stages: [createHygieneStage()] });
    expect(result.stats).toMatchObject({ rowsIn: 601, kept: 600, rejected: 1 });
    const original = await readAllTasks(await openDataset(input));
    const kept = await readAllTasks(await openDataset(output));
    expect(kept).toEqual(original.slice(0, 600));
    expect(kept[599]!.images![0]).toBe(tasks[599]!.images![0]);
    expect(kept[3]!.extraInfo).toMatchObject({ split: "train", pass8: 0.25 });
  });

  it("writes annotations into extra_info and list ground truths in row groups", async () => {
    const path = join(dir, "annotated.parquet");
    const writer = new ParquetTaskWriter(path, true);
    const count = ROW_GROUP_SIZE + 3;
    for (let i = 0; i < count; i++) {
      writer.add(
        annotateTask(
          { id: `a${i}`, question: `q${i}`, answer: i === 0 ? ["x", "y"] : `v${i}` },
          { passK: i / count },
        ),
      );
    }
    writer.finish();
    const back = await readAllTasks(await openDataset(path));
    expect(back).toHaveLength(count);
    expect(back[0]!.answer).toEqual(["x", "y"]);
    expect(back[1]!.answer).toEqual(["v1"]);
    expect(back[count - 1]!.extraInfo!.passK).toBeCloseTo((count - 1) / count, 12);
  });
});
