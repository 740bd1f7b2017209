import type { Message } from "@hdpo/core";
import { ByteLevelBpeTokenizer, renderChat } from "@hdpo/policy";

/**
 * A byte-level BPE tokenizer (Qwen2 pre-tokenizer, ChatML special tokens, the agent tags as single ids) trained on
 * whole rendered conversations, so the chat template, the prompts, the tool calls and the observations all
 * tokenize compactly.
 */
export function trainChatTokenizer(
  conversations: readonly (readonly Message[])[],
  vocabSize: number,
): ByteLevelBpeTokenizer {
  return ByteLevelBpeTokenizer.train(
    conversations.map((messages) => renderChat(messages)),
    { vocabSize },
  );
}
