import type { Message } from "@hdpo/core";
import { OpenAIPolicyError } from "./openai-policy-error";

/** Qwen's ChatML markers. */
export const IM_START = "<|im_start|>";
export const IM_END = "<|im_end|>";
/** What one image part renders to in Qwen2-VL's template. */
export const IMAGE_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>";
/** The generation prompt that opens the assistant's turn. */
export const GENERATION_PROMPT = `${IM_START}assistant\n`;

/**
 * Renders messages in Qwen's ChatML, `<|im_start|>{role}\n{content}<|im_end|>\n` each, plus the generation prompt
 * `<|im_start|>assistant\n`. A `tool` message is rendered as a `user` turn: together with the assistant turn
 * before it this is exactly verl-tool's observation turn (`…</tool_call>` + `<|im_end|>\n<|im_start|>user\n{obs}
 * <|im_end|>\n<|im_start|>assistant\n`). Image parts become `<|vision_start|><|image_pad|><|vision_end|>`.
 * No default system message is inserted (Metis prompts carry their own).
 */
export function renderQwenChat(
  messages: readonly Message[],
  options: { addGenerationPrompt?: boolean } = {},
): string {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new OpenAIPolicyError("invalid-request", "renderQwenChat: messages must be a non-empty array.");
  }
  let text = "";
  messages.forEach((message, i) => {
    const role = message.role === "tool" ? "user" : message.role;
    if (!["system", "user", "assistant"].includes(role)) {
      throw new OpenAIPolicyError(
        "invalid-request",
        `renderQwenChat: messages[${i}].role is ${JSON.stringify(message.role)}; expected system, user, assistant or tool.`,
      );
    }
    text += `${IM_START}${role}\n${renderContent(message, i)}${IM_END}\n`;
  });
  return options.addGenerationPrompt === false ? text : text + GENERATION_PROMPT;
}

/** The number of image parts in `messages`. */
export function countImages(messages: readonly Message[]): number {
  return messages.reduce(
    (n, m) => n + (typeof m.content === "string" ? 0 : m.content.filter((p) => p.type === "image").length),
    0,
  );
}

function renderContent(message: Message, index: number): string {
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) {
    throw new OpenAIPolicyError(
      "invalid-request",
      `renderQwenChat: messages[${index}].content must be a string or an array of parts.`,
    );
  }
  return message.content.map((part) => (part.type === "text" ? part.text : IMAGE_PLACEHOLDER)).join("");
}
