import { dirname } from "node:path";
import type { ContentPart, Message, Task } from "@hdpo/core";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { DatasetError } from "../tasks-error";
import type { Dataset } from "./dataset";
import { bytesToDataUri, imageRefToDataUri } from "./image-data-uri";
import { EXTRA_JSON_FIELD, IMAGE_SLOT } from "./reference-row";
import { describe, RowFields } from "./row-fields";

/** Rows decoded per read: bounds memory on large files with embedded images. */
const ROWS_PER_CHUNK = 256;

/**
 * A Parquet dataset in the reference's training schema (metis-protocol.md §7): `prompt` [{role, content}] with
 * `<image>` slots, `images` [{bytes}] or [{image: path|url}], `reward_model.ground_truth` (str | str[]),
 * `extra_info` {index, question, answer, toolNecessity, category, split, extra_json, …}, `data_source`, `ability`.
 * Read with hyparquet, in chunks of rows; `extraInfo` is `extra_info` whole, as the reference forwards it to tools.
 */
export async function openParquetDataset(path: string): Promise<Dataset> {
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new DatasetError(
      path,
      undefined,
      undefined,
      `not a readable Parquet file: ${(error as Error).message}`,
    );
  }
  const columns = new Set(parquetSchema(metadata).children.map((child) => child.element.name));
  if (!columns.has("reward_model")) {
    throw new DatasetError(
      path,
      undefined,
      "reward_model",
      `expected the reference training schema (prompt, images, reward_model.ground_truth, extra_info, data_source); the file has columns ${[...columns].join(", ")}`,
    );
  }
  if (!columns.has("prompt") && !columns.has("extra_info")) {
    throw new DatasetError(path, undefined, "prompt", "expected a prompt column (or extra_info.question)");
  }
  const size = Number(metadata.num_rows);
  return {
    path,
    format: "parquet",
    size,
    async *tasks() {
      for (let start = 0; start < size; start += ROWS_PER_CHUNK) {
        const rows = await parquetReadObjects({
          file,
          metadata,
          rowStart: start,
          rowEnd: Math.min(size, start + ROWS_PER_CHUNK),
          utf8: false,
        });
        for (const [offset, row] of rows.entries()) {
          yield await parquetTask(
            new RowFields(path, start + offset + 1, decodeText(row) as Record<string, unknown>),
            dirname(path),
          );
        }
      }
    },
  };
}

/**
 * Unannotated byte columns arrive as bytes (utf8: false keeps image bytes intact); text fields are decoded here,
 * except `bytes`, which stays binary.
 */
function decodeText(value: unknown, key?: string): unknown {
  if (value instanceof Uint8Array) return key === "bytes" ? value : new TextDecoder().decode(value);
  if (Array.isArray(value)) return value.map((item) => decodeText(item, key));
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeText(v, k)]));
  }
  return value;
}

async function parquetTask(fields: RowFields, baseDir: string): Promise<Task> {
  const extraInfo = readExtraInfo(fields);
  const rewardModel = objectField(fields, "reward_model");
  if (rewardModel === undefined)
    fields.fail("reward_model", "expected a struct {ground_truth, style}, got nothing");
  const answer = new RowFields("", fields.row, rewardModel);
  let groundTruth: string | string[];
  try {
    groundTruth = answer.answer("ground_truth");
  } catch {
    return fields.fail(
      "reward_model.ground_truth",
      `expected a string or a non-empty list of strings, got ${describe(rewardModel.ground_truth)}`,
    );
  }
  const images = await readImages(fields, baseDir);
  const prompt = fields.has("prompt") ? promptMessages(fields, images) : undefined;
  const extra = new RowFields("", fields.row, extraInfo);
  const question =
    typeof extraInfo.question === "string"
      ? extraInfo.question
      : prompt === undefined
        ? ""
        : lastUserText(prompt);
  if (question === "" && prompt === undefined)
    fields.fail("extra_info.question", "expected a question (or a prompt column)");
  const id = extra.has("index") ? extra.scalarText("index") : `row-${fields.row}`;
  const task: Task = { id, question, answer: groundTruth, extraInfo };
  if (prompt !== undefined) task.prompt = prompt;
  if (images.length > 0) task.images = images;
  const dataSource = fields.optionalString("data_source");
  if (dataSource !== undefined) task.dataSource = dataSource;
  const category = typeof extraInfo.category === "string" ? extraInfo.category : dataSource;
  if (category !== undefined) task.category = category;
  const necessity = extraInfo.toolNecessity ?? extraInfo.tool_necessity;
  if (necessity === "required" || necessity === "unnecessary" || necessity === "unknown")
    task.toolNecessity = necessity;
  return task;
}

/**
 * `extra_info` as the task's `extraInfo`: null fields (absent in that row) left out, and the keys `writeParquetTasks`
 * packed into `extra_json` unpacked, so a written task reads back with its own `extraInfo` keys.
 */
function readExtraInfo(fields: RowFields): Record<string, unknown> {
  const raw = objectField(fields, "extra_info") ?? {};
  const extraInfo = Object.fromEntries(
    Object.entries(raw).filter(
      ([key, value]) => value !== null && value !== undefined && key !== EXTRA_JSON_FIELD,
    ),
  );
  const packed = raw[EXTRA_JSON_FIELD];
  if (typeof packed !== "string") return extraInfo;
  let unpacked: unknown;
  try {
    unpacked = JSON.parse(packed);
  } catch (error) {
    return fields.fail(
      `extra_info.${EXTRA_JSON_FIELD}`,
      `expected a JSON object: ${(error as Error).message}`,
    );
  }
  if (typeof unpacked !== "object" || unpacked === null || Array.isArray(unpacked)) {
    return fields.fail(`extra_info.${EXTRA_JSON_FIELD}`, `expected a JSON object, got ${describe(unpacked)}`);
  }
  return { ...extraInfo, ...(unpacked as Record<string, unknown>) };
}

function objectField(fields: RowFields, column: string): Record<string, unknown> | undefined {
  if (!fields.has(column)) return undefined;
  const value = fields.raw(column);
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fields.fail(column, `expected a struct, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

async function readImages(fields: RowFields, baseDir: string): Promise<string[]> {
  if (!fields.has("images")) return [];
  const value = fields.raw("images");
  if (!Array.isArray(value))
    return fields.fail("images", `expected a list of {bytes} or {image}, got ${describe(value)}`);
  return Promise.all(
    value.map(async (item: unknown, i) => {
      const image = item as { bytes?: unknown; image?: unknown; path?: unknown } | null;
      if (image?.bytes instanceof Uint8Array && image.bytes.length > 0) return bytesToDataUri(image.bytes);
      const ref =
        typeof image?.image === "string"
          ? image.image
          : typeof image?.path === "string"
            ? image.path
            : undefined;
      if (ref === undefined || ref === "") {
        return fields.fail(
          `images[${i}]`,
          `expected {bytes: binary} or {image: path|url}, got ${describe(item)}`,
        );
      }
      try {
        return await imageRefToDataUri(ref, baseDir);
      } catch (error) {
        return fields.fail(`images[${i}]`, (error as Error).message);
      }
    }),
  );
}

/** The prompt as core messages, each `<image>` slot replaced by the next image, in order. */
function promptMessages(fields: RowFields, images: readonly string[]): Message[] {
  const value = fields.raw("prompt");
  if (!Array.isArray(value) || value.length === 0) {
    return fields.fail("prompt", `expected a non-empty list of {role, content}, got ${describe(value)}`);
  }
  let nextImage = 0;
  const messages = value.map((item: unknown, i): Message => {
    const message = item as { role?: unknown; content?: unknown } | null;
    const role = message?.role;
    if (role !== "system" && role !== "user" && role !== "assistant") {
      return fields.fail(
        `prompt[${i}].role`,
        `expected "system", "user" or "assistant", got ${describe(role)}`,
      );
    }
    if (typeof message?.content !== "string") {
      return fields.fail(`prompt[${i}].content`, `expected a string, got ${describe(message?.content)}`);
    }
    if (!message.content.includes(IMAGE_SLOT)) return { role, content: message.content };
    const parts: ContentPart[] = [];
    message.content.split(IMAGE_SLOT).forEach((piece, index) => {
      if (index > 0) {
        const image = images[nextImage++];
        if (image === undefined) {
          fields.fail("images", `the prompt has more <image> slots than the ${images.length} image(s) given`);
        }
        parts.push({ type: "image", image });
      }
      if (piece.length > 0) parts.push({ type: "text", text: piece });
    });
    return { role, content: parts };
  });
  if (nextImage < images.length) {
    // Images without a slot go first in the first user message, as Qwen-VL chat templates place them.
    const first = messages.find((message) => message.role === "user");
    if (first !== undefined) {
      const extra: ContentPart[] = images.slice(nextImage).map((image) => ({ type: "image", image }));
      first.content = [
        ...extra,
        ...(typeof first.content === "string"
          ? [{ type: "text" as const, text: first.content }]
          : first.content),
      ];
    }
  }
  return messages;
}

function lastUserText(messages: readonly Message[]): string {
  const user = [...messages].reverse().find((message) => message.role === "user");
  if (user === undefined) return "";
  const text =
    typeof user.content === "string"
      ? user.content
      : user.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  return text.replaceAll(IMAGE_SLOT, "").trim();
}
