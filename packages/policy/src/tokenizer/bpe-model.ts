import { PolicyError } from "../policy-error";
import { BYTE_TO_CHAR, bytesToByteLevel } from "./byte-unicode";

/** Ids below this bound pack into one safe integer as a pair key. */
const PAIR_STRIDE = 2 ** 24;

/** One number standing for the ordered pair (a, b); both must be below 2^24. */
export function pairKey(a: number, b: number): number {
  return a * PAIR_STRIDE + b;
}

const utf8 = new TextEncoder();

/** Caps the per-word cache so a long-running server does not grow without bound. */
const CACHE_LIMIT = 200_000;

/**
 * The BPE model of a byte-level tokenizer: the vocabulary (token string → id) and the ranked merges, applying
 * merges to one pre-tokenized word at a time, lowest rank first, as Hugging Face `tokenizers` does.
 */
export class BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  /** Merges as token strings, in rank order. */
  readonly merges: readonly (readonly [string, string])[];
  /** Whether a word found whole in the vocabulary skips merging (Hugging Face `ignore_merges`). */
  readonly ignoreMerges: boolean;
  private readonly byteIds: Int32Array;
  /** pairKey → rank; the merged id is `mergedIds[rank]`. */
  private readonly rankOfPair = new Map<number, number>();
  private readonly mergedIds: Int32Array;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    vocab: ReadonlyMap<string, number>,
    merges: readonly (readonly [string, string])[],
    ignoreMerges = false,
  ) {
    this.vocab = vocab;
    this.merges = merges;
    this.ignoreMerges = ignoreMerges;
    const seenIds = new Map<number, string>();
    for (const [token, id] of vocab) {
      if (!Number.isInteger(id) || id < 0 || id >= PAIR_STRIDE) {
        throw new PolicyError(
          `model.vocab: token ${JSON.stringify(token)} has id ${id}; ids must be integers in [0, 2^24).`,
        );
      }
      const other = seenIds.get(id);
      if (other !== undefined) {
        throw new PolicyError(
          `model.vocab: tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} share id ${id}; each id must name one token.`,
        );
      }
      seenIds.set(id, token);
    }
    this.byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = vocab.get(BYTE_TO_CHAR[b]!);
      if (id === undefined) {
        throw new PolicyError(
          `model.vocab lacks the byte token ${JSON.stringify(BYTE_TO_CHAR[b])} (byte ${b}); a byte-level BPE vocabulary must hold all 256 byte tokens.`,
        );
      }
      this.byteIds[b] = id;
    }
    this.mergedIds = new Int32Array(merges.length);
    merges.forEach(([left, right], rank) => {
      const a = vocab.get(left);
      const b = vocab.get(right);
      const merged = vocab.get(left + right);
      if (a === undefined || b === undefined || merged === undefined) {
        const missing = a === undefined ? left : b === undefined ? right : left + right;
        throw new PolicyError(
          `model.merges[${rank}] ${JSON.stringify([left, right])} uses ${JSON.stringify(missing)}, which is not in model.vocab; every merge's parts and result must be vocabulary tokens.`,
        );
      }
      const key = pairKey(a, b);
      // A repeated merge keeps its first (lowest) rank, as in Hugging Face.
      if (!this.rankOfPair.has(key)) this.rankOfPair.set(key, rank);
      this.mergedIds[rank] = merged;
    });
  }

  /** The id of byte `b`'s token. */
  byteId(b: number): number {
    return this.byteIds[b]!;
  }

  /** Ids of one pre-tokenized word (already normalized), from the cache when seen before. */
  encodeWord(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const ids = this.mergeWord(utf8.encode(word));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  private mergeWord(bytes: Uint8Array): number[] {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(bytesToByteLevel(bytes));
      if (whole !== undefined) return [whole];
    }
    let symbols = Array.from(bytes, (b) => this.byteIds[b]!);
    while (symbols.length > 1) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestKey = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = pairKey(symbols[i]!, symbols[i + 1]!);
        const rank = this.rankOfPair.get(key);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestKey = key;
        }
      }
      if (bestKey < 0) break;
      const merged = this.mergedIds[bestRank]!;
      // Left to right, non-overlapping: the same result as Hugging Face's position-ordered queue.
      const next: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && pairKey(symbols[i]!, symbols[i + 1]!) === bestKey) {
          next.push(merged);
          i++;
        } else next.push(symbols[i]!);
      }
      symbols = next;
    }
    return symbols;
  }
}
