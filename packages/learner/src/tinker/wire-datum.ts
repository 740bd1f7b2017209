import type { LearnerChunk, LearnerDatum } from "@hdpo/core";
import { LearnerError } from "../learner-error";

/** A Tinker `Datum` as JSON (spec §2.8). */
export interface WireDatum {
  model_input: { chunks: { type: "encoded_text"; tokens: number[] }[] };
  loss_fn_inputs: {
    target_tokens: { data: number[]; dtype: "int64"; shape: [number] };
    weights: { data: number[]; dtype: "float32"; shape: [number] };
  };
}

/** Learner data on the wire, with the weights each datum was sent with. */
export interface WireData {
  data: WireDatum[];
  weights: number[][];
}

const MAX_TOKEN_ID = 2 ** 31 - 1;

/**
 * Learner data as Tinker data: one text chunk per datum, and weights sent at full length (one per target, 1 where
 * the datum has none), because fsdp/megatron right-align per-token inputs and outputs to `len(weights)` while jax
 * left-aligns them: equal lengths mean the same positions on both (spec §2.8). Everything the server would
 * silently misread is refused here: targets that are not the input shifted by one (fsdp/megatron read only the
 * last target), a length mismatch, non-finite weights, images (not served by this client yet) and non-zero
 * entropy weights (the API has no field for them).
 *
 * @throws LearnerError naming the datum and what is wrong with it.
 */
export function toWireData(data: readonly LearnerDatum[], what: string): WireData {
  if (!Array.isArray(data) || data.length === 0) {
    throw new LearnerError(`${what}: no data; pass at least one datum.`);
  }
  const wire: WireDatum[] = [];
  const weights: number[][] = [];
  data.forEach((datum, index) => {
    const where = `${what}: datum ${index}`;
    const input = textTokens(datum.modelInput, where);
    const targets = datum.targetTokens;
    if (input.length === 0 || !Array.isArray(targets) || targets.length !== input.length) {
      throw new LearnerError(
        `${where}: ${input.length} input tokens and ${targets?.length} target tokens; send the sequence without ` +
          "its last token as input and without its first as targets (equal lengths, at least 1).",
      );
    }
    checkTokens(targets, `${where}: target`);
    for (let t = 0; t + 1 < input.length; t++) {
      if (targets[t] !== input[t + 1]) {
        throw new LearnerError(
          `${where}: target ${t} is ${targets[t]} but input ${t + 1} is ${input[t + 1]}; targets must be the input ` +
            "shifted by one (a Tinker server rebuilds the sequence from the input and the last target).",
        );
      }
    }
    const datumWeights = datum.weights === undefined ? targets.map(() => 1) : [...datum.weights];
    checkPerTarget(datumWeights, targets.length, `${where}: weights`);
    if (datum.entropyWeights !== undefined) {
      checkPerTarget(datum.entropyWeights, targets.length, `${where}: entropyWeights`);
      if (datum.entropyWeights.some((value: number) => value !== 0)) {
        throw new LearnerError(
          `${where} has non-zero entropyWeights, but the Tinker API has no entropy term per request; drop the ` +
            "entropy bonus (capabilities.entropy is false) or use the tfjs learner.",
        );
      }
    }
    const n = targets.length;
    wire.push({
      model_input: { chunks: [{ type: "encoded_text", tokens: input }] },
      loss_fn_inputs: {
        target_tokens: { data: [...targets], dtype: "int64", shape: [n] },
        weights: { data: datumWeights, dtype: "float32", shape: [n] },
      },
    });
    weights.push(datumWeights);
  });
  return { data: wire, weights };
}

/** The token ids of text chunks; images are refused (issue 25 brings them). */
export function textTokens(chunks: readonly LearnerChunk[], where: string): number[] {
  if (!Array.isArray(chunks)) throw new LearnerError(`${where}: the model input is not a list of chunks.`);
  const tokens: number[] = [];
  for (const chunk of chunks) {
    if (chunk?.type !== "encoded_text") {
      throw new LearnerError(
        `${where} has a ${String(chunk?.type)} chunk, but the Tinker client sends text only (images are not ` +
          "supported yet); send encoded_text chunks.",
      );
    }
    checkTokens(chunk.tokens, `${where}: input`);
    for (const token of chunk.tokens) tokens.push(token);
  }
  return tokens;
}

function checkTokens(tokens: readonly number[], where: string): void {
  if (!Array.isArray(tokens)) throw new LearnerError(`${where} tokens are not a list.`);
  const bad = tokens.findIndex((id) => !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID);
  if (bad >= 0) throw new LearnerError(`${where} token ${bad} is ${tokens[bad]}, not a token id.`);
}

function checkPerTarget(values: readonly number[], length: number, where: string): void {
  if (!Array.isArray(values) || values.length !== length) {
    throw new LearnerError(
      `${where} has ${values?.length} entries for ${length} targets; send one per target.`,
    );
  }
  const bad = values.findIndex((value) => typeof value !== "number" || !Number.isFinite(value));
  if (bad >= 0) throw new LearnerError(`${where}[${bad}] is ${values[bad]}, not a finite number.`);
}
