import type { LearnerDatum } from "@hdpo/core";
import type { DatumInput } from "../api/schemas";

/** A Tinker datum laid out for the learner, with the window of trailing positions its outputs cover. */
export interface AlignedDatum {
  /** Full-length targets (the input shifted by one) and weights padded on the left with 0. */
  datum: LearnerDatum;
  /** Input length N: the learner returns N log-probs. */
  length: number;
  /** Positions reported back, the last `window` of the N (= len(weights), or len(target_tokens) without weights). */
  window: number;
  /** The request's weights (length `window`). */
  weights: number[];
  /** Behaviour log-probs and advantages (length `window`), when the loss reads them. */
  logprobs?: number[];
  advantages?: number[];
}

/** A datum the learner cannot run; the message names the datum and says what to send. */
export class DatumError extends Error {
  override readonly name = "DatumError";
}

/**
 * Aligns one datum as SkyRL's fsdp/megatron backends do (spec §2.8): the sequence is `input + [target_tokens[-1]]`,
 * `target_tokens` must be the input shifted by one (all of it, or a right-aligned tail of it), and `weights`,
 * `logprobs`, `advantages` are right-aligned to the end of the sequence, so a response-only datum works as well as a
 * full-length one. `rl` requires `logprobs` and `advantages` of the weights' length.
 */
export function alignDatum(input: DatumInput, index: number, rl: boolean): AlignedDatum {
  const where = `datum ${index}`;
  const tokens: number[] = [];
  for (const chunk of input.model_input.chunks) {
    if (chunk.type !== "encoded_text") {
      throw new DatumError(
        `${where} has an ${chunk.type} chunk, but this server's model reads text only; send encoded_text chunks.`,
      );
    }
    for (const id of chunk.tokens) tokens.push(id);
  }
  const length = tokens.length;
  if (length === 0)
    throw new DatumError(`${where} has no input tokens; send the sequence without its last token.`);
  const targets = input.loss_fn_inputs.target_tokens!.data;
  if (targets.length === 0 || targets.length > length) {
    throw new DatumError(
      `${where}: ${targets.length} target tokens for ${length} input tokens; send the sequence without its first token ` +
        "(as many targets as input tokens, or a right-aligned tail of them).",
    );
  }
  const last = targets[targets.length - 1]!;
  if (!Number.isInteger(last)) throw new DatumError(`${where}: target_tokens must be token ids (integers).`);
  const full = [...tokens.slice(1), last];
  const offset = length - targets.length;
  for (let k = 0; k < targets.length; k++) {
    if (targets[k] !== full[offset + k]) {
      throw new DatumError(
        `${where}: target_tokens[${k}] is ${targets[k]} but the input shifted by one has ${full[offset + k]} there; ` +
          "targets must be the input without its first token plus the next token (or a right-aligned tail of that).",
      );
    }
  }
  const weights = input.loss_fn_inputs.weights?.data ?? new Array<number>(targets.length).fill(1);
  const window = weights.length;
  if (window > length) {
    throw new DatumError(
      `${where}: ${window} weights for ${length} input tokens; send at most one weight per target position.`,
    );
  }
  const aligned: AlignedDatum = {
    datum: {
      modelInput: [{ type: "encoded_text", tokens }],
      targetTokens: full,
      weights: leftPad(weights, length),
    },
    length,
    window,
    weights,
  };
  if (rl) {
    const logprobs = input.loss_fn_inputs.logprobs?.data;
    const advantages = input.loss_fn_inputs.advantages?.data;
    for (const [name, values] of [
      ["logprobs", logprobs],
      ["advantages", advantages],
    ] as const) {
      if (values === undefined || values.length !== window) {
        throw new DatumError(
          `${where}: this loss needs loss_fn_inputs.${name} with one entry per weight (${window}), got ${values === undefined ? "none" : values.length}.`,
        );
      }
    }
    aligned.logprobs = logprobs;
    aligned.advantages = advantages;
  }
  return aligned;
}

/** `values` right-aligned in an array of `length`, zeros before. */
export function leftPad(values: readonly number[], length: number): number[] {
  const out = new Array<number>(length - values.length).fill(0);
  for (const value of values) out.push(value);
  return out;
}

/** The last `window` entries of a per-position row. */
export function tail(row: readonly number[], window: number): number[] {
  return row.slice(row.length - window);
}
