import type { ContentPart, Message, Task } from "@hdpo/core";

const IMAGE_SLOT = "<image>";

/**
 * The opening messages of a rollout: the task's own `prompt` when the dataset ships one (used as is), otherwise an
 * optional system message and a user message with the question and the task's images. `<image>` slots in the
 * question take the images in order; images beyond the slots come first, as Qwen-VL chat templates place them.
 */
export function buildPromptMessages(task: Task, systemPrompt?: string): Message[] {
  if (task.prompt !== undefined) return task.prompt.map((message) => ({ ...message }));
  const messages: Message[] = [];
  if (systemPrompt !== undefined) messages.push({ role: "system", content: systemPrompt });
  messages.push({ role: "user", content: userContent(task.question, task.images ?? []) });
  return messages;
}

function userContent(question: string, images: readonly string[]): string | ContentPart[] {
  if (images.length === 0) return question;
  const pieces = question.split(IMAGE_SLOT);
  const slots = pieces.length - 1;
  const parts: ContentPart[] = images.slice(slots).map((image) => ({ type: "image", image }));
  pieces.forEach((piece, index) => {
    if (index > 0) {
      const image = images[index - 1];
      if (image !== undefined) parts.push({ type: "image", image });
      else parts.push({ type: "text", text: IMAGE_SLOT });
    }
    if (piece.length > 0) parts.push({ type: "text", text: piece });
  });
  return parts;
}

/** The text of the messages, joined; what an approximate prompt-token count is taken over (images excluded). */
export function messagesText(messages: readonly Message[]): string {
  return messages
    .map((message) =>
      typeof message.content === "string"
        ? message.content
        : message.content.map((part) => (part.type === "text" ? part.text : "")).join(""),
    )
    .join("\n");
}
