import type { ContentPart, Message, Task } from "@hdpo/core";

/** Marks where an image goes in a reference prompt's text. */
export const IMAGE_SLOT = "<image>";
/** The `extra_info` keys with a column of their own; every other `extraInfo` key travels in `extra_json`. */
export const EXTRA_INFO_COLUMNS = [
  "index",
  "question",
  "answer",
  "toolNecessity",
  "category",
  "split",
] as const;
/** The `extra_info` field holding the task's other `extraInfo` keys as one JSON object. */
export const EXTRA_JSON_FIELD = "extra_json";

/** One row of the reference training schema (metis-protocol.md §7), before Parquet encoding. */
export interface ReferenceRow {
  data_source: string;
  prompt: { role: string; content: string }[];
  images: { bytes: Uint8Array; path: string | null }[];
  ability: string;
  reward_model: { ground_truth: string | string[]; style: "rule" };
  extra_info: Record<(typeof EXTRA_INFO_COLUMNS)[number] | typeof EXTRA_JSON_FIELD, string | null>;
}

export interface ReferenceRowOptions {
  /**
   * The system message of tasks without a prompt of their own: one text, or one per task (e.g. naming the tools of
   * its category); undefined or "" leaves the system message out.
   */
  systemPrompt?: string | ((task: Task) => string | undefined);
}

/**
 * A task as a reference row: the prompt is the task's own (image parts become `<image>` slots) or a system message
 * plus the question with one `<image>` slot per image in front; images are embedded as bytes; the ground truth is
 * the answer (a list when the file holds any list); `extra_info` holds id, question, answer, tool necessity,
 * category and split, plus the task's other `extraInfo` as JSON.
 * @throws Error when an image is not a `data:` URI (paths and URLs are resolved when reading, not here).
 */
export function toReferenceRow(task: Task, options: ReferenceRowOptions = {}): ReferenceRow {
  const { prompt, images } = task.prompt === undefined ? builtPrompt(task, options) : ownPrompt(task.prompt);
  const extra = { ...(task.extraInfo ?? {}) };
  const split = typeof extra.split === "string" ? extra.split : null;
  for (const key of [...EXTRA_INFO_COLUMNS, EXTRA_JSON_FIELD]) delete extra[key];
  const answers = typeof task.answer === "string" ? [task.answer] : task.answer;
  return {
    data_source: task.dataSource ?? task.category ?? "hdpo",
    prompt,
    images: images.map((image) => ({ bytes: dataUriBytes(image, task.id), path: null })),
    ability: task.category ?? task.dataSource ?? "",
    reward_model: { ground_truth: task.answer, style: "rule" },
    extra_info: {
      index: task.id,
      question: task.question,
      answer: answers[0]!,
      toolNecessity: task.toolNecessity ?? null,
      category: task.category ?? null,
      split,
      extra_json: Object.keys(extra).length === 0 ? null : JSON.stringify(extra),
    },
  };
}

function builtPrompt(
  task: Task,
  options: ReferenceRowOptions,
): { prompt: ReferenceRow["prompt"]; images: string[] } {
  const system =
    typeof options.systemPrompt === "function" ? options.systemPrompt(task) : options.systemPrompt;
  const images = task.images ?? [];
  const prompt: ReferenceRow["prompt"] = [];
  if (system !== undefined && system !== "") prompt.push({ role: "system", content: system });
  prompt.push({ role: "user", content: `${IMAGE_SLOT.repeat(images.length)}${task.question}` });
  return { prompt, images };
}

function ownPrompt(messages: readonly Message[]): { prompt: ReferenceRow["prompt"]; images: string[] } {
  const images: string[] = [];
  const prompt = messages.map((message) => ({
    role: message.role,
    content: typeof message.content === "string" ? message.content : slotted(message.content, images),
  }));
  return { prompt, images };
}

function slotted(parts: readonly ContentPart[], images: string[]): string {
  return parts
    .map((part) => {
      if (part.type === "text") return part.text;
      images.push(part.image);
      return IMAGE_SLOT;
    })
    .join("");
}

function dataUriBytes(image: string, taskId: string): Uint8Array {
  const match = /^data:[^;,]*(;base64)?,(.*)$/s.exec(image);
  if (match === null) {
    throw new Error(
      `task ${taskId}: image "${image.slice(0, 60)}" is not a data: URI; read the dataset with openDataset first (it embeds files as data URIs).`,
    );
  }
  return match[1] === undefined
    ? new TextEncoder().encode(decodeURIComponent(match[2]!))
    : new Uint8Array(Buffer.from(match[2]!, "base64"));
}
