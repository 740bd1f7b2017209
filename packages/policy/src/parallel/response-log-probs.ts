import { tf } from "@hdpo/tensor";
import type { DecoderModel } from "../model/decoder-model";
import type { SequenceBatch } from "../model/log-probs";
import { embed, oneHotFloat, targetLogProbs } from "../model/tensor-ops";
import { PolicyError } from "../policy-error";

/**
 * `log p(token | everything before it)` of every response token of `batch`, flat in row order (row 0's
 * response, then row 1's, …), equal to the unmasked entries of `model.logProbs(batch).logProbs`.
 * Differentiable. Unlike `logProbs`, the LM head and the log-softmax run only on the positions that
 * predict a response token (selected from the hidden states by a row gather whose gradient is a
 * scatter-add, so it differentiates on wasm), not on every position: prompt positions, padding and each
 * row's last position cost nothing past the final norm.
 */
export function responseTokenLogProbs(model: DecoderModel, batch: SequenceBatch): tf.Tensor1D {
  const { sequences, promptLengths } = batch;
  const vocab = model.config.vocab_size;
  if (sequences.length === 0) throw new PolicyError("responseTokenLogProbs: the batch is empty");
  if (promptLengths.length !== sequences.length) {
    throw new PolicyError(
      `responseTokenLogProbs: got ${promptLengths.length} prompt lengths for ${sequences.length} sequences; pass one per sequence`,
    );
  }
  const lengths = sequences.map((s) => s.length);
  const time = Math.max(...lengths);
  const positions: number[] = [];
  const targets: number[] = [];
  sequences.forEach((sequence, b) => {
    const prompt = promptLengths[b]!;
    if (!Number.isInteger(prompt) || prompt < 1 || prompt > sequence.length) {
      throw new PolicyError(
        `responseTokenLogProbs: promptLengths[${b}] = ${prompt} must be an integer in [1, ${sequence.length}]`,
      );
    }
    for (const id of sequence) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new PolicyError(`responseTokenLogProbs: token id ${id} is not an integer in [0, ${vocab})`);
      }
    }
    // Position t predicts token t + 1.
    for (let t = prompt - 1; t < sequence.length - 1; t++) {
      positions.push(b * time + t);
      targets.push(sequence[t + 1]!);
    }
  });
  if (positions.length === 0) {
    throw new PolicyError("responseTokenLogProbs: no sequence has a response token after its prompt");
  }
  const padded = sequences.map((s) => [...s, ...new Array<number>(time - s.length).fill(0)]);
  return tf.tidy(() => {
    const hidden = model.hiddenStates(padded, lengths, time);
    const picked = embed(hidden, tf.tensor1d(positions, "int32"));
    const logits = model.logitsOf(picked);
    return targetLogProbs(logits, oneHotFloat(tf.tensor1d(targets, "int32"), vocab));
  });
}
