import type { Message } from "@hdpo/core";
import { type ByteLevelBpeTokenizer, renderChat, renderObservation } from "@hdpo/policy";

/** How the trainer turns chat pieces into token ids: the one place SFT and RL rollouts share. */
export interface ChatEncoding {
  /** The opening messages plus `<|im_start|>assistant\n`: what `LocalPolicy` encodes for the first turn. */
  encodePrompt(messages: readonly Message[]): number[];
  /** `<|im_end|>\n<|im_start|>user\n{obs}<|im_end|>\n<|im_start|>assistant\n` (images are not rendered). */
  encodeObservation(text: string, images?: readonly string[]): number[];
  /** One assistant turn's text. */
  encodeTurn(text: string): number[];
  /** Exact token counts for the agent loop's budgets and observation cut. */
  countTokens(text: string): number;
  /** The token that ends an assistant turn (`<|im_end|>`), part of the final turn's trained tokens. */
  endOfTurnId: number;
}

/** The chat encoding of a tokenizer, with the chat template `LocalPolicy` renders at rollout time. */
export function chatEncoding(tokenizer: ByteLevelBpeTokenizer): ChatEncoding {
  return {
    encodePrompt: (messages) => tokenizer.encode(renderChat(messages, { addGenerationPrompt: true })),
    encodeObservation: (text) => tokenizer.encode(renderObservation(text)),
    encodeTurn: (text) => tokenizer.encode(text),
    countTokens: (text) => tokenizer.encode(text).length,
    endOfTurnId: tokenizer.eosTokenIds[0]!,
  };
}
