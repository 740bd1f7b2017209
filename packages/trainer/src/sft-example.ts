import type { Message, Turn } from "@hdpo/core";
import type { ChatEncoding } from "./chat-encoding";
import type { TokenSequence } from "./token-sequence";
import { TrainerError } from "./trainer-error";

/**
 * The tokens of a demonstration exactly as a rollout of the same turns records them: the prompt rendered with the
 * generation prompt, each assistant turn's text (mask 1), each observation in the chat template's user turn (mask
 * 0, its leading `<|im_end|>` closing the tool-call turn as in verl-tool), and `<|im_end|>` after the final
 * answer (mask 1: the model must learn to stop).
 */
export function sftExample(
  prompt: readonly Message[],
  turns: readonly Turn[],
  encoding: ChatEncoding,
): TokenSequence {
  const promptIds = encoding.encodePrompt(prompt);
  const ids: number[] = [];
  const lossMask: (0 | 1)[] = [];
  const push = (tokens: readonly number[], mask: 0 | 1): void => {
    for (const id of tokens) {
      ids.push(id);
      lossMask.push(mask);
    }
  };
  turns.forEach((turn, index) => {
    if (turn.role === "observation") {
      push(encoding.encodeObservation(turn.text, turn.images ?? []), 0);
      return;
    }
    push(encoding.encodeTurn(turn.text), 1);
    const last = index === turns.length - 1;
    if (last && turn.toolCall === undefined && turn.finishReason === "stop") push([encoding.endOfTurnId], 1);
  });
  if (!lossMask.includes(1)) {
    throw new TrainerError(
      "sftExample: the turns hold no assistant text; a demonstration needs a model turn.",
    );
  }
  return { promptIds, ids, lossMask };
}
