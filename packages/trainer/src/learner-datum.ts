import type { LearnerDatum } from "@hdpo/core";
import type { TokenSequence } from "./token-sequence";
import { TrainerError } from "./trainer-error";

/**
 * A training sequence as a learner datum (Tinker's alignment: input = sequence without its last token, targets =
 * without its first), with `responseWeights` (one per response token) on the positions that predict the response
 * and 0 on the prompt's. The same with `responseEntropyWeights` for an entropy term.
 */
export function learnerDatum(
  sequence: TokenSequence,
  responseWeights: ArrayLike<number>,
  responseEntropyWeights?: ArrayLike<number>,
): LearnerDatum {
  if (sequence.promptIds.length === 0) {
    throw new TrainerError(
      "learnerDatum: the sequence has no prompt token; its first token would have no log-prob.",
    );
  }
  const tokens = [...sequence.promptIds, ...sequence.ids];
  const datum: LearnerDatum = {
    modelInput: [{ type: "encoded_text", tokens: tokens.slice(0, -1) }],
    targetTokens: tokens.slice(1),
    weights: onTargets(sequence, responseWeights),
  };
  if (responseEntropyWeights !== undefined) {
    datum.entropyWeights = onTargets(sequence, responseEntropyWeights);
  }
  return datum;
}

/** Per-target values, given per response token: the prompt's targets (all but its first token) get 0. */
function onTargets(sequence: TokenSequence, response: ArrayLike<number>): number[] {
  const values = new Array<number>(sequence.promptIds.length - 1 + sequence.ids.length).fill(0);
  const offset = sequence.promptIds.length - 1;
  for (let j = 0; j < sequence.ids.length; j++) values[offset + j] = response[j] ?? 0;
  return values;
}

/** The response part of a datum's per-target values (what the model gave each response token). */
export function responseValues(sequence: TokenSequence, perTarget: readonly number[]): number[] {
  const offset = sequence.promptIds.length - 1;
  return perTarget.slice(offset, offset + sequence.ids.length);
}
