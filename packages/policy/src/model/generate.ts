import { PolicyError } from "../policy-error";
import type { TextCodec } from "../text-codec";
import type { DecoderModel } from "./decoder-model";
import { deriveSeed, Prng } from "./prng";
import { type SamplingOptions, sampleToken } from "./sampling";
import { stopCut } from "./stop-strings";

/** Options of `generate`. */
export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens per sequence. */
  maxTokens: number;
  /** Seed of the sampling; row b draws from its own stream `deriveSeed(seed, b)`. */
  seed: number;
  /** Ids that end a sequence (kept as its last token). Default: `codec.eosTokenIds`, else the config's `eos_token_id`. */
  stopTokenIds?: readonly number[];
  /** Strings that end a sequence once its decoded new text contains one; needs `codec`. */
  stop?: readonly string[];
  /** Decodes for stop strings and fills `text`. */
  codec?: TextCodec;
}

/** Why a sequence ended: a stop token or string ("stop"), or `maxTokens` ("length"). */
export type FinishReason = "stop" | "length";

/** One generated continuation. */
export interface GeneratedSequence {
  /** The new tokens, ending with the stop token, or cut right after a stop string's last token. */
  tokenIds: number[];
  /** Each token's log-probability under the distribution it was sampled from (see `sampleToken`). */
  logProbs: number[];
  finishReason: FinishReason;
  /** `codec.decode(tokenIds)` when a codec was given (special tokens kept). */
  text?: string;
}

/**
 * Samples a continuation of each prompt with a KV cache: one prefill over the right-padded prompts, then
 * one token per step for the rows still running (finished rows leave the batch). Reproducible for a seed
 * on every backend up to float32 differences in the logits.
 */
export function generate(
  model: DecoderModel,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
): GeneratedSequence[] {
  validate(prompts, options);
  const eos = model.config.eos_token_id;
  const stopIds = new Set(
    options.stopTokenIds ??
      options.codec?.eosTokenIds ??
      (eos === undefined ? [] : Array.isArray(eos) ? eos : [eos]),
  );
  const stops = options.stop ?? [];
  const streams = prompts.map((_, b) => new Prng(deriveSeed(options.seed, b)));
  const results = prompts.map(() => ({
    tokenIds: [] as number[],
    logProbs: [] as number[],
    finishReason: "length" as FinishReason,
  }));
  let { logits, state } = model.prefill(prompts);
  let active = prompts.map((_, b) => b);
  try {
    for (;;) {
      const vocab = logits.shape[1];
      const data = logits.dataSync();
      logits.dispose();
      const keep: number[] = [];
      active.forEach((b, row) => {
        const sampled = sampleToken(data.subarray(row * vocab, (row + 1) * vocab), options, streams[b]!);
        const result = results[b]!;
        result.tokenIds.push(sampled.token);
        result.logProbs.push(sampled.logProb);
        const cut = options.codec === undefined ? undefined : stopCut(result.tokenIds, stops, options.codec);
        if (stopIds.has(sampled.token) || cut !== undefined) {
          if (cut !== undefined) {
            result.tokenIds.length = cut;
            result.logProbs.length = cut;
          }
          result.finishReason = "stop";
        } else if (result.tokenIds.length < options.maxTokens) {
          keep.push(row);
        }
      });
      if (keep.length === 0) break;
      if (keep.length < active.length) {
        state = model.selectRows(state, keep);
        active = keep.map((row) => active[row]!);
      }
      ({ logits, state } = model.decodeStep(
        state,
        active.map((b) => results[b]!.tokenIds.at(-1)!),
      ));
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    for (const layer of state.layers) {
      layer.keys.dispose();
      layer.values.dispose();
    }
  }
  const codec = options.codec;
  return results.map((r) => (codec === undefined ? r : { ...r, text: codec.decode(r.tokenIds) }));
}

function validate(prompts: readonly (readonly number[])[], options: GenerateOptions): void {
  if (prompts.length === 0) throw new PolicyError("generate: no prompts; pass at least one prompt");
  prompts.forEach((p, b) => {
    if (p.length === 0)
      throw new PolicyError(`generate: prompt ${b} is empty; a prompt needs at least one token`);
  });
  if (!Number.isFinite(options.temperature) || options.temperature < 0) {
    throw new PolicyError(
      `generate: temperature must be a finite number ≥ 0 (0 = greedy), got ${options.temperature}`,
    );
  }
  if (!(options.topP > 0 && options.topP <= 1)) {
    throw new PolicyError(`generate: topP must be in (0, 1], got ${options.topP}`);
  }
  if (!Number.isInteger(options.maxTokens) || options.maxTokens < 1) {
    throw new PolicyError(`generate: maxTokens must be an integer ≥ 1, got ${options.maxTokens}`);
  }
  if (!Number.isFinite(options.seed))
    throw new PolicyError(`generate: seed must be a finite number, got ${options.seed}`);
  if (options.stop !== undefined && options.stop.length > 0 && options.codec === undefined) {
    throw new PolicyError("generate: stop strings need a codec to decode the new tokens; pass `codec`");
  }
  if (options.stop?.some((s) => s.length === 0)) throw new PolicyError("generate: a stop string is empty");
}
