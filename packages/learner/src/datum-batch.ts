import type { LearnerDatum } from "@hdpo/core";
import type { SequenceBatch } from "@hdpo/policy";
import { LearnerError } from "./learner-error";

/** Learner data as the model scores it, with their per-position weights padded into `[rows, width]` matrices. */
export interface DatumBatch {
  batch: SequenceBatch;
  /** Target positions of each datum. */
  lengths: number[];
  width: number;
  weights: Float32Array;
  /** Entropy weights, or undefined when every datum has none (or only zeros). */
  entropyWeights: Float32Array | undefined;
}

/**
 * Checks learner data and lays them out for teacher forcing: each datum's sequence is its input plus its last
 * target, scored from the first position on. Targets must be the input shifted by one (Tinker's alignment); weights
 * and entropy weights, when given, have one finite entry per target.
 *
 * @throws LearnerError naming the datum and what is wrong with it.
 */
export function datumBatch(data: readonly LearnerDatum[], vocab: number, what: string): DatumBatch {
  if (data.length === 0) throw new LearnerError(`${what}: no data; pass at least one datum.`);
  const lengths = data.map((datum, i) => checkDatum(datum, i, vocab, what));
  const width = Math.max(...lengths);
  const weights = new Float32Array(data.length * width);
  let entropyWeights: Float32Array | undefined;
  data.forEach((datum, row) => {
    const length = lengths[row]!;
    for (let t = 0; t < length; t++) weights[row * width + t] = datum.weights?.[t] ?? 1;
    const entropy = datum.entropyWeights;
    if (entropy?.some((value) => value !== 0)) {
      entropyWeights ??= new Float32Array(data.length * width);
      for (let t = 0; t < length; t++) entropyWeights[row * width + t] = entropy[t]!;
    }
  });
  return {
    batch: {
      sequences: data.map((datum) => [...inputTokens(datum), datum.targetTokens.at(-1)!]),
      promptLengths: data.map(() => 1),
    },
    lengths,
    width,
    weights,
    entropyWeights,
  };
}

/** The datum's input ids (text chunks only; this learner's model reads no images). */
function inputTokens(datum: LearnerDatum): number[] {
  return datum.modelInput.flatMap((chunk) => (chunk.type === "encoded_text" ? chunk.tokens : []));
}

function checkDatum(datum: LearnerDatum, index: number, vocab: number, what: string): number {
  const where = `${what}: datum ${index}`;
  if (datum.modelInput.some((chunk) => chunk.type !== "encoded_text")) {
    throw new LearnerError(`${where} has an image chunk, but this learner's model is a text model.`);
  }
  const input = inputTokens(datum);
  const targets = datum.targetTokens;
  if (input.length === 0 || targets.length !== input.length) {
    throw new LearnerError(
      `${where}: ${input.length} input tokens and ${targets.length} target tokens; send the sequence without its ` +
        "last token as input and without its first as targets (equal lengths, at least 1).",
    );
  }
  const bad = [...input, ...targets].findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (bad >= 0) {
    const id = bad < input.length ? input[bad] : targets[bad - input.length];
    throw new LearnerError(`${where}: token ${id} is not a token id of this model (0 to ${vocab - 1}).`);
  }
  for (let t = 0; t + 1 < input.length; t++) {
    if (targets[t] !== input[t + 1]) {
      throw new LearnerError(
        `${where}: target ${t} is ${targets[t]} but input ${t + 1} is ${input[t + 1]}; targets must be the input shifted by one.`,
      );
    }
  }
  checkPerTarget(datum.weights, targets.length, `${where}: weights`);
  checkPerTarget(datum.entropyWeights, targets.length, `${where}: entropyWeights`);
  return targets.length;
}

function checkPerTarget(values: readonly number[] | undefined, length: number, where: string): void {
  if (values === undefined) return;
  if (values.length !== length) {
    throw new LearnerError(
      `${where} has ${values.length} entries for ${length} targets; send one per target.`,
    );
  }
  const bad = values.findIndex((value) => typeof value !== "number" || !Number.isFinite(value));
  if (bad >= 0) throw new LearnerError(`${where}[${bad}] is ${values[bad]}, not a finite number.`);
}
