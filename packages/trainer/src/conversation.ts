import type { Message, Turn } from "@hdpo/core";

/** The chat a trajectory amounts to: the prompt, assistant turns, and observations as user turns (text protocol). */
export function conversationMessages(prompt: readonly Message[], turns: readonly Turn[]): Message[] {
  return [
    ...prompt,
    ...turns.map(
      (turn): Message => ({ role: turn.role === "assistant" ? "assistant" : "user", content: turn.text }),
    ),
  ];
}
