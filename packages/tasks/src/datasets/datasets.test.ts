import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetError } from "../tasks-error";
import { detectDatasetFormat, openDataset, readAllTasks } from "./open-dataset";

let dir: string;
let pngBytes: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hdpo-eval-datasets-"));
  const png = new PNG({ width: 2, height: 2 });
  png.data.fill(200);
  pngBytes = PNG.sync.write(png);
  await writeFile(join(dir, "pic.png"), pngBytes);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function write(name: string, content: string | Uint8Array | ArrayBuffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  return path;
}

async function loadError(path: string): Promise<DatasetError> {
  try {
    await readAllTasks(await openDataset(path));
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error("expected a DatasetError");
}

describe("JSONL datasets", () => {
  it("reads every field, answer lists, numeric ids and image files into data URIs", async () => {
    const path = await write(
      "ok.jsonl",
      [
        JSON.stringify({
          id: "a",
          question: "2+2?",
          answer: "4",
          category: "math",
          toolNecessity: "unnecessary",
        }),
        "",
        JSON.stringify({
          id: 7,
          question: "Colour?",
          answer: ["grey", "gray"],
          images: ["pic.png"],
          toolNecessity: "required",
        }),
        JSON.stringify({
          id: "c",
          question: "Pick",
          answer: "B",
          choices: ["x", "y"],
          images: "data:image/png;base64,AAAA",
        }),
      ].join("\n"),
    );
    const dataset = await openDataset(path);
    expect(dataset.format).toBe("jsonl");
    expect(dataset.size).toBe(3);
    const tasks = await readAllTasks(dataset);
    expect(tasks[0]).toEqual({
      id: "a",
      question: "2+2?",
      answer: "4",
      category: "math",
      toolNecessity: "unnecessary",
    });
    expect(tasks[1]!.id).toBe("7");
    expect(tasks[1]!.answer).toEqual(["grey", "gray"]);
    expect(tasks[1]!.images).toEqual([`data:image/png;base64,${pngBytes.toString("base64")}`]);
    expect(tasks[2]!.choices).toEqual(["x", "y"]);
    expect(tasks[2]!.images).toEqual(["data:image/png;base64,AAAA"]);
  });

  it.each([
    [
      "broken JSON",
      '{"id":"a","question":"q","answer":"x"}\n{"id": "b", oops}',
      2,
      undefined,
      "expected one JSON object per line",
    ],
    ["a missing answer", '{"id":"a","question":"q"}', 1, "answer", "expected a string or a non-empty list"],
    ["an empty answer list", '{"id":"a","question":"q","answer":[]}', 1, "answer", "non-empty list"],
    [
      "a bad necessity",
      '{"id":"a","question":"q","answer":"x","toolNecessity":"maybe"}',
      1,
      "toolNecessity",
      '"required" or "unnecessary"',
    ],
    [
      "a missing image file",
      '{"id":"a","question":"q","answer":"x","images":["nope.png"]}',
      1,
      "images",
      "cannot read image file",
    ],
    ["a non-string question", '{"id":"a","question":3,"answer":"x"}', 1, "question", "expected a string"],
    ["an array row", '["a"]', 1, undefined, "expected a JSON object"],
  ])("names the row and column for %s", async (_, content, row, column, problem) => {
    const error = await loadError(await write(`bad-${row}-${column}.jsonl`, content));
    expect(error.row).toBe(row);
    expect(error.column).toBe(column);
    expect(error.message).toContain(problem);
    expect(error.message).toContain(`row ${row}`);
  });

  it("rejects repeated ids, which would break resume", async () => {
    const line = JSON.stringify({ id: "a", question: "q", answer: "x" });
    const error = await loadError(await write("dup.jsonl", `${line}\n${line}\n`));
    expect(error.column).toBe("id");
    expect(error.message).toContain('repeats the id "a"');
  });
});

/** The reference training schema (metis-protocol.md §7), written with an explicit nested Parquet schema. */
function referenceParquet(
  rows: {
    prompt: { role: string; content: string }[];
    images: ({ bytes: Uint8Array | null; image?: string } | null)[] | null;
    groundTruth: string;
    extraInfo: { index: string; question: string; answer: string };
    dataSource: string;
  }[],
): ArrayBuffer {
  const utf8 = { type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" } as const;
  const schema = [
    { name: "root", num_children: 6 },
    { name: "data_source", ...utf8 },
    { name: "prompt", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
    { name: "role", ...utf8 },
    { name: "content", ...utf8 },
    { name: "images", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
    { name: "bytes", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" },
    { name: "image", ...utf8 },
    { name: "ability", ...utf8 },
    { name: "reward_model", repetition_type: "OPTIONAL", num_children: 2 },
    { name: "ground_truth", ...utf8 },
    { name: "style", ...utf8 },
    { name: "extra_info", repetition_type: "OPTIONAL", num_children: 3 },
    { name: "index", ...utf8 },
    { name: "question", ...utf8 },
    { name: "answer", ...utf8 },
  ];
  return parquetWriteBuffer({
    // biome-ignore lint/suspicious/noExplicitAny: hyparquet-writer's SchemaElement type is not exported by name
    schema: schema as any,
    columnData: [
      { name: "data_source", data: rows.map((r) => r.dataSource) },
      { name: "prompt", data: rows.map((r) => r.prompt) },
      { name: "images", data: rows.map((r) => r.images) },
      { name: "ability", data: rows.map(() => "math") },
      { name: "reward_model", data: rows.map((r) => ({ ground_truth: r.groundTruth, style: "rule" })) },
      { name: "extra_info", data: rows.map((r) => r.extraInfo) },
    ],
  });
}

describe("Parquet datasets (reference training schema)", () => {
  it("reads prompts with <image> slots, image bytes, ground truth and extra_info", async () => {
    const buffer = referenceParquet([
      {
        dataSource: "geo",
        prompt: [
          { role: "system", content: "You are an efficient problem-solving agent." },
          { role: "user", content: "<image>What colour is this?" },
        ],
        images: [{ bytes: new Uint8Array(pngBytes) }],
        groundTruth: "grey",
        extraInfo: { index: "geo_index_0", question: "What colour is this?", answer: "grey" },
      },
      {
        dataSource: "math",
        prompt: [{ role: "user", content: "1+1?" }],
        images: [{ bytes: null, image: "pic.png" }],
        groundTruth: "2",
        extraInfo: { index: "math_index_1", question: "1+1?", answer: "2" },
      },
    ]);
    const path = await write("train.parquet", buffer);
    expect(await detectDatasetFormat(path)).toBe("parquet");
    const dataset = await openDataset(path);
    expect(dataset.size).toBe(2);
    const tasks = await readAllTasks(dataset);
    const dataUri = `data:image/png;base64,${pngBytes.toString("base64")}`;
    expect(tasks[0]).toMatchObject({
      id: "geo_index_0",
      question: "What colour is this?",
      answer: "grey",
      category: "geo",
      dataSource: "geo",
      images: [dataUri],
    });
    expect(tasks[0]!.prompt).toEqual([
      { role: "system", content: "You are an efficient problem-solving agent." },
      {
        role: "user",
        content: [
          { type: "image", image: dataUri },
          { type: "text", text: "What colour is this?" },
        ],
      },
    ]);
    expect(tasks[0]!.extraInfo).toMatchObject({ index: "geo_index_0", answer: "grey" });
    // an image without a slot goes before the user's text
    expect(tasks[1]!.prompt![0]!.content).toEqual([
      { type: "image", image: dataUri },
      { type: "text", text: "1+1?" },
    ]);
  });

  it("names the row and column of a prompt whose <image> slots outnumber its images", async () => {
    const buffer = referenceParquet([
      {
        dataSource: "a",
        prompt: [{ role: "user", content: "q" }],
        images: null,
        groundTruth: "1",
        extraInfo: { index: "i0", question: "q", answer: "1" },
      },
      {
        dataSource: "a",
        prompt: [{ role: "user", content: "<image><image>q" }],
        images: [{ bytes: new Uint8Array(pngBytes) }],
        groundTruth: "1",
        extraInfo: { index: "i1", question: "q", answer: "1" },
      },
    ]);
    const error = await loadError(await write("slots.parquet", buffer));
    expect(error.row).toBe(2);
    expect(error.column).toBe("images");
    expect(error.message).toContain("more <image> slots than the 1 image(s)");
  });

  it("reads a list of acceptable ground truths and a missing extra_info.index as the row number", async () => {
    const utf8 = { type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" } as const;
    const schema = [
      { name: "root", num_children: 2 },
      { name: "reward_model", repetition_type: "OPTIONAL", num_children: 1 },
      { name: "ground_truth", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", ...utf8 },
      { name: "extra_info", repetition_type: "OPTIONAL", num_children: 1 },
      { name: "question", ...utf8 },
    ];
    const buffer = parquetWriteBuffer({
      // biome-ignore lint/suspicious/noExplicitAny: hyparquet-writer's SchemaElement type is not exported by name
      schema: schema as any,
      columnData: [
        { name: "reward_model", data: [{ ground_truth: ["3/4", "0.75"] }, { ground_truth: [] }] },
        { name: "extra_info", data: [{ question: "How much?" }, { question: "Empty?" }] },
      ],
    });
    const path = await write("lists.parquet", buffer);
    const tasks: unknown[] = [];
    const dataset = await openDataset(path);
    const error = await (async () => {
      try {
        for await (const task of dataset.tasks()) tasks.push(task);
      } catch (caught) {
        return caught as DatasetError;
      }
      throw new Error("expected a DatasetError for the empty list");
    })();
    expect(tasks).toEqual([
      { id: "row-1", question: "How much?", answer: ["3/4", "0.75"], extraInfo: { question: "How much?" } },
    ]);
    expect(error.row).toBe(2);
    expect(error.column).toBe("reward_model.ground_truth");
  });

  it("says which schema it expected when a Parquet file lacks reward_model", async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: "question", data: ["q"], type: "STRING" }] });
    const path = await write("other.parquet", new Uint8Array(buffer));
    await expect(openDataset(path)).rejects.toThrow(/column "reward_model".*reference training schema/);
  });
});

describe("VLMEvalKit TSV datasets", () => {
  const header = [
    "index",
    "question",
    "hint",
    "A",
    "B",
    "C",
    "answer",
    "category",
    "l2-category",
    "image",
  ].join("\t");

  it("reads options as choices, builds the multiple-choice prompt, decodes base64 images and image references", async () => {
    const base64 = pngBytes.toString("base64").padEnd(80, "=");
    const rows = [
      [
        "0",
        '"Which one, ""really""?"',
        "Look\tclosely",
        "cat",
        "dog",
        "",
        "B",
        "animals",
        "perception",
        base64,
      ],
      ["1", "Again?", "nan", "red", "blue", "green", "C", "colours", "perception", "0"],
    ].map((fields) => fields.map((f) => (f.includes("\t") ? `"${f}"` : f)).join("\t"));
    const path = await write("bench.tsv", `${header}\n${rows.join("\r\n")}\n`);
    expect(await detectDatasetFormat(path)).toBe("vlmeval-tsv");
    const tasks = await readAllTasks(await openDataset(path));
    expect(tasks).toHaveLength(2);
    expect(tasks[0]).toMatchObject({ id: "0", answer: "B", choices: ["cat", "dog"], category: "animals" });
    expect(tasks[0]!.question).toBe(
      'Hint: Look\tclosely\nQuestion: Which one, "really"?\nOptions:\nA. cat\nB. dog\nPlease select the correct answer from the options above.',
    );
    expect(tasks[0]!.images![0]).toMatch(/^data:image\/png;base64,/);
    expect(tasks[0]!.extraInfo).toEqual({ l2Category: "perception" });
    expect(tasks[1]!.choices).toEqual(["red", "blue", "green"]);
    expect(tasks[1]!.question.startsWith("Question: Again?")).toBe(true);
    expect(tasks[1]!.images).toEqual(tasks[0]!.images);
  });

  it("names the line of a row with the wrong number of fields and of a bad image reference", async () => {
    const short = await write("short.tsv", `${header}\n0\tq\t\ta\tb\t\tA\tc\tl2\n`);
    const error = await loadError(short);
    expect(error.row).toBe(2);
    expect(error.message).toContain("expected 10 tab-separated fields");
    const badRef = await write("ref.tsv", `${header}\n0\tq\t\ta\tb\t\tA\tc\tl2\t99\n`);
    const refError = await loadError(badRef);
    expect(refError.column).toBe("image");
    expect(refError.message).toContain('index of an earlier row with an image, got "99"');
  });

  it("rejects a TSV without the VLMEvalKit columns", async () => {
    const path = await write("plain.tsv", "a\tb\n1\t2\n");
    await expect(openDataset(path)).rejects.toThrow(/column "index".*VLMEvalKit header/);
  });
});

it("refuses a file of no known format", async () => {
  const path = await write("notes.txt", "just some words\n");
  await expect(openDataset(path)).rejects.toThrow(/unknown dataset format/);
});
