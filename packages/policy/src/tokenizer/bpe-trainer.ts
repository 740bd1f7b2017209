import { PolicyError } from "../policy-error";
import { pairKey } from "./bpe-model";
import { BYTE_ORDER, BYTE_TO_CHAR } from "./byte-unicode";

/** Options of {@link trainBpe}. */
export interface BpeTrainingOptions {
  /** Vocabulary size to reach, counting the 256 byte tokens. */
  maxTokens: number;
  /** A pair seen fewer times than this is never merged. Default 2. */
  minFrequency?: number;
}

/** Merges learned by {@link trainBpe} and the vocabulary they build. */
export interface TrainedBpe {
  vocab: Map<string, number>;
  merges: [string, string][];
}

/**
 * A max-heap of candidate pairs: higher count first, then smaller (left, right) ids. Entries may be stale;
 * the trainer checks an entry against the live count when it pops it.
 */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly lefts: number[] = [];
  private readonly rights: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private before(i: number, j: number): boolean {
    const c = this.counts;
    if (c[i] !== c[j]) return c[i]! > c[j]!;
    if (this.lefts[i] !== this.lefts[j]) return this.lefts[i]! < this.lefts[j]!;
    return this.rights[i]! < this.rights[j]!;
  }

  private swap(i: number, j: number): void {
    for (const arr of [this.counts, this.lefts, this.rights]) {
      const t = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = t;
    }
  }

  push(count: number, left: number, right: number): void {
    this.counts.push(count);
    this.lefts.push(left);
    this.rights.push(right);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [count: number, left: number, right: number] {
    const top: [number, number, number] = [this.counts[0]!, this.lefts[0]!, this.rights[0]!];
    const last = this.counts.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.lefts.pop();
    this.rights.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < last && this.before(l, best)) best = l;
      if (r < last && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}

/**
 * Learns byte-level BPE merges from word frequencies (pre-tokenized words → count). Keeps live pair counts and,
 * per pair, the words containing it, so a merge only revisits the words it changes. Deterministic: among equally
 * frequent pairs the one with the smaller (left id, right id) wins; ids are byte tokens in GPT-2 order, then
 * merged tokens in creation order.
 */
export function trainBpe(words: ReadonlyMap<string, number>, options: BpeTrainingOptions): TrainedBpe {
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(options.maxTokens) || options.maxTokens < 256) {
    throw new PolicyError(
      `train: the vocabulary must have room for the 256 byte tokens (got ${options.maxTokens}).`,
    );
  }
  if (!Number.isFinite(minFrequency) || minFrequency < 1) {
    throw new PolicyError(`train: minFrequency must be a finite number ≥ 1 (got ${minFrequency}).`);
  }
  const tokens: string[] = BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]!);
  const vocab = new Map(tokens.map((t, id) => [t, id]));
  const idOfByte = new Int32Array(256);
  BYTE_ORDER.forEach((b, id) => {
    idOfByte[b] = id;
  });

  const encoder = new TextEncoder();
  const symbols: number[][] = [];
  const freqs: number[] = [];
  for (const [word, count] of words) {
    if (!Number.isInteger(count) || count < 0) {
      throw new PolicyError(
        `train: word ${JSON.stringify(word)} has count ${count}; counts must be non-negative integers.`,
      );
    }
    if (count === 0) continue;
    symbols.push(Array.from(encoder.encode(word), (b) => idOfByte[b]!));
    freqs.push(count);
  }

  const pairCounts = new Map<number, number>();
  const wordsWithPair = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1): void => {
    const s = symbols[w]!;
    const f = freqs[w]! * sign;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = pairKey(s[i]!, s[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
      if (sign === 1) {
        const set = wordsWithPair.get(key);
        if (set === undefined) wordsWithPair.set(key, new Set([w]));
        else set.add(w);
      }
    }
  };
  for (let w = 0; w < symbols.length; w++) addPairs(w, 1);

  const heap = new PairHeap();
  const STRIDE = 2 ** 24;
  for (const [key, count] of pairCounts) heap.push(count, Math.floor(key / STRIDE), key % STRIDE);

  const merges: [string, string][] = [];
  while (vocab.size < options.maxTokens && heap.size > 0) {
    const [count, a, b] = heap.pop();
    const key = pairKey(a, b);
    const live = pairCounts.get(key) ?? 0;
    if (live !== count) {
      // Stale entry (the pair lost occurrences to an earlier merge): requeue at its live count.
      if (live > 0) heap.push(live, a, b);
      continue;
    }
    if (count < minFrequency) break;

    const merged = tokens[a]! + tokens[b]!;
    let c = vocab.get(merged);
    if (c === undefined) {
      c = tokens.length;
      tokens.push(merged);
      vocab.set(merged, c);
    }
    merges.push([tokens[a]!, tokens[b]!]);

    const touched = new Set<number>();
    for (const w of wordsWithPair.get(key) ?? []) {
      const s = symbols[w]!;
      let hasPair = false;
      for (let i = 0; i + 1 < s.length && !hasPair; i++) hasPair = s[i] === a && s[i + 1] === b;
      if (!hasPair) continue;
      addPairs(w, -1);
      const next: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          next.push(c);
          i++;
        } else next.push(s[i]!);
      }
      symbols[w] = next;
      addPairs(w, 1);
      for (let i = 0; i + 1 < next.length; i++) {
        if (next[i] === c || next[i + 1] === c) touched.add(pairKey(next[i]!, next[i + 1]!));
      }
    }
    pairCounts.delete(key);
    wordsWithPair.delete(key);
    // Only pairs containing the new token can have grown; every other pair's heap entry is still an upper bound.
    for (const t of touched) {
      const n = pairCounts.get(t) ?? 0;
      if (n > 0) heap.push(n, Math.floor(t / STRIDE), t % STRIDE);
    }
  }
  return { vocab, merges };
}
