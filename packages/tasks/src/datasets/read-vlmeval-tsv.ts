import { dirname } from "node:path";
import type { Task } from "@hdpo/core";
import { DatasetError } from "../tasks-error";
import type { Dataset } from "./dataset";
import { base64ToDataUri, imageRefToDataUri } from "./image-data-uri";
import { RowFields } from "./row-fields";
import { readTsvRecords } from "./tsv-records";

const OPTION_LETTERS = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];
/** VLMEvalKit stores a repeated image once; later rows hold the index of the row that has it. */
const MAX_IMAGE_REFERENCE_LENGTH = 64;

/**
 * A VLMEvalKit TSV: `index`, base64 `image` or `image_path`, `question`, `hint`, options `A`…`J`, `answer`,
 * `category`, `l2-category`. The question the model sees is VLMEvalKit's multiple-choice prompt (hint, question,
 * options); `choices` carries the options (contiguous from A) so letters and option texts are both accepted.
 */
export async function openVlmEvalTsvDataset(path: string): Promise<Dataset> {
  let header: string[] | undefined;
  let size = 0;
  for await (const record of readTsvRecords(path)) {
    if (header === undefined) header = record.fields;
    else if (record.fields.some((field) => field !== "")) size++;
  }
  if (header === undefined)
    throw new DatasetError(path, undefined, undefined, "the file is empty; expected a header row");
  for (const column of ["index", "question", "answer"]) {
    if (!header.includes(column)) {
      throw new DatasetError(
        path,
        1,
        column,
        `expected a VLMEvalKit header with index, question, answer; got ${header.join(", ")}`,
      );
    }
  }
  return { path, format: "vlmeval-tsv", size, tasks: () => tsvTasks(path) };
}

async function* tsvTasks(path: string): AsyncGenerator<Task> {
  const baseDir = dirname(path);
  const imagesByIndex = new Map<string, string>();
  let header: string[] | undefined;
  for await (const { fields, line } of readTsvRecords(path)) {
    if (header === undefined) {
      header = fields;
      continue;
    }
    if (fields.every((field) => field === "")) continue;
    if (fields.length !== header.length) {
      throw new DatasetError(
        path,
        line,
        undefined,
        `expected ${header.length} tab-separated fields (as the header), got ${fields.length}; check for an unquoted tab or newline`,
      );
    }
    const record = Object.fromEntries(header.map((column, i) => [column, fields[i]!]));
    const row = new RowFields(path, line, record);
    const task = tsvTask(row);
    const image = await rowImage(row, baseDir, imagesByIndex);
    if (image !== undefined) {
      task.images = [image];
      imagesByIndex.set(task.id, image);
    }
    yield task;
  }
}

function tsvTask(row: RowFields): Task {
  const id = row.id("index");
  const question = row.string("question");
  const answer = row.string("answer");
  if (answer.trim() === "")
    row.fail("answer", "expected the correct answer (an option letter or text), got an empty field");
  const choices: string[] = [];
  for (const letter of OPTION_LETTERS) {
    if (!row.has(letter)) break;
    choices.push(row.string(letter));
  }
  const hint = row.optionalString("hint");
  const lines: string[] = [];
  if (hint !== undefined && hint !== "nan") lines.push(`Hint: ${hint}`);
  lines.push(`Question: ${question}`);
  if (choices.length > 0) {
    lines.push("Options:", ...choices.map((choice, i) => `${OPTION_LETTERS[i]}. ${choice}`));
    lines.push("Please select the correct answer from the options above.");
  }
  const task: Task = { id, question: lines.join("\n"), answer };
  if (choices.length > 0) task.choices = choices;
  const category = row.optionalString("category");
  if (category !== undefined) task.category = category;
  const l2 = row.optionalString("l2-category");
  const split = row.optionalString("split");
  if (l2 !== undefined || split !== undefined) {
    task.extraInfo = {
      ...(l2 === undefined ? {} : { l2Category: l2 }),
      ...(split === undefined ? {} : { split }),
    };
  }
  return task;
}

async function rowImage(
  row: RowFields,
  baseDir: string,
  earlier: Map<string, string>,
): Promise<string | undefined> {
  if (row.has("image")) {
    const value = row.string("image").trim();
    if (value.length <= MAX_IMAGE_REFERENCE_LENGTH) {
      const referenced = earlier.get(value);
      if (referenced !== undefined) return referenced;
      return row.fail(
        "image",
        `expected base64 image data or the index of an earlier row with an image, got "${value}"`,
      );
    }
    if (value.startsWith("data:")) return value;
    if (!/^[A-Za-z0-9+/=\s]+$/.test(value.slice(0, 256))) {
      return row.fail("image", "expected base64 image data; the field holds other characters");
    }
    return base64ToDataUri(value.replace(/\s+/g, ""));
  }
  if (row.has("image_path")) {
    try {
      return await imageRefToDataUri(row.string("image_path"), baseDir);
    } catch (error) {
      return row.fail("image_path", (error as Error).message);
    }
  }
  return undefined;
}
