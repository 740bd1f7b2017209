import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Task } from "@hdpo/core";
import { parquetWriteBuffer } from "hyparquet-writer";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemPrompt } from "../prompt/system-prompt";
import { generateSuite } from "../suite/generate-suite";
import { writeFileAtomic } from "./atomic-write";
import { openDataset, readAllTasks } from "./open-dataset";
import { writeJsonlTasks } from "./write-jsonl";
import { tasksToParquet, writeParquetTasks } from "./write-parquet";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-tasks-io-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const suite = generateSuite({ seed: 3, sizes: { train: 3, val: 1, test: 1 } });
const tasks = suite.tasks.train;
const SYSTEM = systemPrompt({ tools: [{ type: "function", function: { name: "python" } }] });

async function readBack(path: string): Promise<Task[]> {
  return readAllTasks(await openDataset(path));
}

/** What a task becomes in the reference schema: its prompt and the reference's `extra_info` keys added. */
function asReferenceTask(task: Task): Task {
  const images = task.images ?? [];
  const user =
    images.length === 0
      ? task.question
      : [
          ...images.map((image) => ({ type: "image" as const, image })),
          { type: "text" as const, text: task.question },
        ];
  return {
    ...task,
    prompt: [
      { role: "system", content: SYSTEM },
      { role: "user", content: user },
    ],
    extraInfo: {
      index: task.id,
      question: task.question,
      answer: typeof task.answer === "string" ? task.answer : task.answer[0],
      toolNecessity: task.toolNecessity,
      category: task.category,
      ...task.extraInfo,
    },
  };
}

describe("JSONL", () => {
  it("round-trips suite tasks exactly, images and extraInfo included", async () => {
    const path = join(dir, "train.jsonl");
    await writeJsonlTasks(path, tasks);
    expect(tasks.some((task) => task.images !== undefined)).toBe(true);
    expect(await readBack(path)).toEqual(tasks);
    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines).toHaveLength(tasks.length + 1);
    expect(JSON.parse(lines[0]!)).toEqual(tasks[0]);
  });

  it("reads prompts back and names a malformed one", async () => {
    const withPrompt: Task = {
      id: "p",
      question: "q",
      answer: "1",
      prompt: [{ role: "user", content: "q?" }],
    };
    const path = join(dir, "prompt.jsonl");
    await writeJsonlTasks(path, [withPrompt]);
    expect(await readBack(path)).toEqual([withPrompt]);
    await writeFile(path, `${JSON.stringify({ ...withPrompt, prompt: [{ role: "robot", content: 1 }] })}\n`);
    await expect(readBack(path)).rejects.toThrow(/row 1, column "prompt"\): expected a non-empty list/);
  });
});

describe("Parquet (reference schema)", () => {
  it("round-trips suite tasks: every field back, plus the reference prompt and extra_info keys", async () => {
    const path = join(dir, "train.parquet");
    await writeParquetTasks(path, tasks, { systemPrompt: SYSTEM });
    const back = await readBack(path);
    expect(back).toEqual(tasks.map(asReferenceTask));
  });

  it("writes the same bytes again from what it read (nothing lost or invented)", async () => {
    const first = tasksToParquet(tasks, { systemPrompt: SYSTEM });
    const path = join(dir, "again.parquet");
    await writeFile(path, first);
    const second = tasksToParquet(await readBack(path));
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  });

  it("stores every ground truth as a list when any task has a list of acceptable answers", async () => {
    const path = join(dir, "lists.parquet");
    const mixed: Task[] = [
      { id: "a", question: "3/4 as a decimal?", answer: ["0.75", "3/4"] },
      { id: "b", question: "1+1?", answer: "2", toolNecessity: "unknown" },
    ];
    await writeParquetTasks(path, mixed);
    const back = await readBack(path);
    expect(back.map((task) => task.answer)).toEqual([["0.75", "3/4"], ["2"]]);
    expect(back[0]!.extraInfo).toEqual({ index: "a", question: "3/4 as a decimal?", answer: "0.75" });
    expect(back[1]!.toolNecessity).toBe("unknown");
  });

  it("reads a Metis-RL shaped file: image bytes, <image> in the prompt, list ground truth, extra fields", async () => {
    const png = new PNG({ width: 3, height: 2 });
    png.data.fill(90);
    const bytes = new Uint8Array(PNG.sync.write(png));
    const text = { type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" } as const;
    const buffer = parquetWriteBuffer({
      schema: [
        { name: "root", num_children: 5 },
        { name: "data_source", ...text },
        { name: "prompt", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
        { name: "role", ...text },
        { name: "content", ...text },
        { name: "images", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", repetition_type: "OPTIONAL", num_children: 1 },
        { name: "bytes", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" },
        { name: "reward_model", repetition_type: "OPTIONAL", num_children: 2 },
        { name: "ground_truth", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        { name: "element", ...text },
        { name: "style", ...text },
        { name: "extra_info", repetition_type: "OPTIONAL", num_children: 4 },
        { name: "index", ...text },
        { name: "question", ...text },
        { name: "answer", ...text },
        { name: "pass8", type: "DOUBLE", repetition_type: "OPTIONAL" },
      ],
      columnData: [
        { name: "data_source", data: ["geometry3k"] },
        {
          name: "prompt",
          data: [
            [
              { role: "system", content: "You are an efficient problem-solving agent..." },
              { role: "user", content: "<image>\nFind x. Choices: A. 3 B. 4" },
            ],
          ],
        },
        { name: "images", data: [[{ bytes }]] },
        { name: "reward_model", data: [{ ground_truth: ["4", "B"], style: "rule" }] },
        {
          name: "extra_info",
          data: [{ index: "geometry3k_index_0", question: "Find x.", answer: "4", pass8: 0.625 }],
        },
      ],
    });
    const path = join(dir, "metis.parquet");
    await writeFile(path, new Uint8Array(buffer));
    const [task] = await readBack(path);
    const dataUri = `data:image/png;base64,${Buffer.from(bytes).toString("base64")}`;
    expect(task).toEqual({
      id: "geometry3k_index_0",
      question: "Find x.",
      answer: ["4", "B"],
      dataSource: "geometry3k",
      category: "geometry3k",
      images: [dataUri],
      extraInfo: { index: "geometry3k_index_0", question: "Find x.", answer: "4", pass8: 0.625 },
      prompt: [
        { role: "system", content: "You are an efficient problem-solving agent..." },
        {
          role: "user",
          content: [
            { type: "image", image: dataUri },
            { type: "text", text: "\nFind x. Choices: A. 3 B. 4" },
          ],
        },
      ],
    });
  });

  it("refuses an image that is not a data: URI, naming the task", () => {
    expect(() => tasksToParquet([{ id: "x", question: "q", answer: "1", images: ["pic.png"] }])).toThrow(
      /task x: image "pic.png" is not a data: URI/,
    );
  });
});

describe("writeFileAtomic", () => {
  it("replaces a file whole, creates folders, and leaves no temporary file behind", async () => {
    const path = join(dir, "nested", "deeper", "file.txt");
    await writeFileAtomic(path, "old");
    await writeFileAtomic(path, "new content");
    expect(await readFile(path, "utf8")).toBe("new content");
    expect(await readdir(join(dir, "nested", "deeper"))).toEqual(["file.txt"]);
  });

  it("leaves the old file and no temporary file when the write fails", async () => {
    const path = join(dir, "kept.txt");
    await writeFileAtomic(path, "kept");
    await expect(writeFileAtomic(join(path, "child.txt"), "x")).rejects.toThrow();
    // A folder where the file should go: the rename fails after the temporary file was written.
    const folderTarget = join(dir, "a-folder");
    await writeFileAtomic(join(folderTarget, "inner.txt"), "x");
    await expect(writeFileAtomic(folderTarget, "y")).rejects.toThrow();
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    expect(await readFile(path, "utf8")).toBe("kept");
  });
});
