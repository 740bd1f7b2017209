import { deriveSeed, Prng } from "@hdpo/policy";
import type { TokenSequence } from "./token-sequence";
import { TrainerError } from "./trainer-error";

/** Shape of the copy sequences; the defaults suit a few-hundred-token agent conversation. */
export interface CopySequenceOptions {
  /** Tokens copied per sequence, drawn uniformly in [min, max]. */
  spanLength: readonly [number, number];
  /** Tokens of unrelated text between the span and its copy, drawn uniformly in [min, max]. */
  gapLength: readonly [number, number];
  /** Share of spans made of tokens drawn at random (the rest are windows of the source text). */
  randomShare: number;
}

export const DEFAULT_COPY_SEQUENCE_OPTIONS: CopySequenceOptions = {
  spanLength: [6, 20],
  gapLength: [0, 48],
  randomShare: 0.5,
};

/** The token streams copy exercises are cut from, with the ids they use: prepared once, drawn from at every step. */
export interface CopySource {
  /** The non-empty streams. */
  streams: readonly (readonly number[])[];
  /** Every id the streams use, once each. */
  vocabulary: readonly number[];
}

/**
 * Prepares `sources` (e.g. the demonstrations' token streams) for `copySequences`. Collecting the vocabulary walks
 * every token, so a trainer does it once, not at each of its steps.
 *
 * @throws TrainerError when no source holds a token.
 */
export function copySource(sources: readonly (readonly number[])[]): CopySource {
  const streams = sources.filter((s) => s.length > 0);
  if (streams.length === 0) throw new TrainerError("copySource: the sources hold no tokens.");
  return { streams, vocabulary: [...new Set(streams.flat())] };
}

/**
 * `count` copy exercises for SFT step `step`: a span of tokens, a gap of unrelated text, then the span again, the
 * loss on the repeat only (its first token excepted: nothing tells where a repeat starts). The agent's tool use is
 * copying (numbers from the question into code, a name into a search query, the tool's output into the answer);
 * a small model trained from scratch on a few thousand demonstrations never learns that lookup, because copied
 * tokens are a sliver of its loss. These exercises make them most of it, on the same tokens.
 *
 * Spans are windows of the source's streams (the demonstrations' token streams) or, for `randomShare` of them, tokens
 * drawn from the ids the streams use, where only the lookup can predict the repeat. Deterministic in (seed, step).
 */
export function copySequences(
  source: CopySource,
  count: number,
  seed: number,
  step: number,
  options: CopySequenceOptions = DEFAULT_COPY_SEQUENCE_OPTIONS,
): TokenSequence[] {
  const [spanMin, spanMax] = options.spanLength;
  const [gapMin, gapMax] = options.gapLength;
  if (!(spanMin >= 2 && spanMax >= spanMin && gapMin >= 0 && gapMax >= gapMin)) {
    throw new TrainerError(
      `copySequences: spanLength [${options.spanLength}] needs 2 ≤ min ≤ max and gapLength [${options.gapLength}] 0 ≤ min ≤ max.`,
    );
  }
  const { streams, vocabulary } = source;
  const prng = new Prng(deriveSeed(seed, 0x636f7079 + step));
  const int = (min: number, max: number) => min + Math.floor(prng.next() * (max - min + 1));
  const window = (length: number): number[] => {
    const stream = streams[int(0, streams.length - 1)]!;
    const start = int(0, Math.max(0, stream.length - length));
    return stream.slice(start, start + length);
  };
  return Array.from({ length: count }, () => {
    const length = int(spanMin, spanMax);
    const span =
      prng.next() < options.randomShare
        ? Array.from({ length }, () => vocabulary[int(0, vocabulary.length - 1)]!)
        : window(length);
    const gap = window(int(gapMin, gapMax));
    return {
      promptIds: [...span, ...gap],
      ids: [...span],
      lossMask: span.map((_, i) => (i === 0 ? 0 : 1)),
    };
  });
}
