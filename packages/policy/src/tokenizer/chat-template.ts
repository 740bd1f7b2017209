import type { Message } from "@hdpo/core";
import { PolicyError } from "../policy-error";
import { IM_END, IM_START, IMAGE_PAD, VISION_END, VISION_START } from "./special-tokens";

/** What one image part renders to, as in Qwen2-VL's chat template. */
export const IMAGE_PLACEHOLDER = `${VISION_START}${IMAGE_PAD}${VISION_END}`;

/** Options of {@link renderChat}. */
export interface RenderChatOptions {
  /** Append `<|im_start|>assistant\n` so the model continues as the assistant. Default false. */
  addGenerationPrompt?: boolean;
}

function renderContent(message: Message, index: number): string {
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) {
    throw new PolicyError(`renderChat: messages[${index}].content must be a string or an array of parts.`);
  }
  return message.content
    .map((part, j) => {
      if (part.type === "text") return part.text;
      if (part.type === "image") return IMAGE_PLACEHOLDER;
      throw new PolicyError(
        `renderChat: messages[${index}].content[${j}] has type ${JSON.stringify((part as { type: unknown }).type)}; expected "text" or "image".`,
      );
    })
    .join("");
}

/**
 * Renders messages in Qwen's ChatML: `<|im_start|>{role}\n{content}<|im_end|>\n` each, text parts concatenated
 * and each image part as `<|vision_start|><|image_pad|><|vision_end|>`. The role is written as given (a `tool`
 * message stays `tool`) and no default system message is inserted: Metis prompts carry their own.
 */
export function renderChat(messages: readonly Message[], options: RenderChatOptions = {}): string {
  if (!Array.isArray(messages)) throw new PolicyError("renderChat: messages must be an array.");
  let text = "";
  messages.forEach((message, i) => {
    if (typeof message.role !== "string" || message.role.length === 0) {
      throw new PolicyError(`renderChat: messages[${i}].role must be a non-empty string.`);
    }
    text += `${IM_START}${message.role}\n${renderContent(message, i)}${IM_END}\n`;
  });
  if (options.addGenerationPrompt) text += `${IM_START}assistant\n`;
  return text;
}

/**
 * The text appended after an assistant turn that stopped at `</tool_call>`: it closes that turn, gives the tool
 * output as a user turn and opens the next assistant turn, exactly as verl-tool's agent loop does
 * (`<|im_end|>\n<|im_start|>user\n{obs}<|im_end|>\n<|im_start|>assistant\n`).
 */
export function renderObservation(observation: string): string {
  if (typeof observation !== "string") {
    throw new PolicyError(`renderObservation: the observation must be a string, got ${typeof observation}.`);
  }
  return `${IM_END}\n${IM_START}user\n${observation}${IM_END}\n${IM_START}assistant\n`;
}
