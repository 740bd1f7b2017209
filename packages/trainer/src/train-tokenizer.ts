import type { Message } from "@hdpo/core";
import {
  ByteLevelBpeTokenizer,
  DIGIT_TRIPLES_SPLIT_PATTERN,
  QWEN2_SPLIT_PATTERN,
  renderChat,
} from "@hdpo/policy";
import type { TokenizerSettings } from "./trainer-config";

/**
 * A byte-level BPE tokenizer (Qwen2 pre-tokenizer, digits one at a time or in triples, ChatML special tokens, the
 * agent tags as single ids) trained on whole rendered conversations, so the chat template, the prompts, the tool
 * calls and the observations all tokenize compactly. The split pattern is saved in its `tokenizer.json`.
 */
export function trainChatTokenizer(
  conversations: readonly (readonly Message[])[],
  settings: Pick<TokenizerSettings, "vocabSize"> & Partial<Pick<TokenizerSettings, "digits">>,
): ByteLevelBpeTokenizer {
  return ByteLevelBpeTokenizer.train(
    conversations.map((messages) => renderChat(messages)),
    {
      vocabSize: settings.vocabSize,
      splitPattern: settings.digits === "triples" ? DIGIT_TRIPLES_SPLIT_PATTERN : QWEN2_SPLIT_PATTERN,
    },
  );
}
