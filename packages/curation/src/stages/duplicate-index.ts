import { MINHASH_SIZE, signatureSimilarity } from "./text-fingerprint";

/** Options of {@link DuplicateIndex}. */
export interface DuplicateIndexOptions {
  /** Estimated Jaccard similarity (of character 5-shingles) at or above which rows are near duplicates. Default 0.85. */
  nearThreshold?: number;
  /** Rows remembered at most (about 150 bytes each); later rows are still checked against them. Default 2,000,000. */
  maxEntries?: number;
}

/** The earlier row a row duplicates. */
export interface DuplicateMatch {
  kind: "exact" | "near";
  of: number;
  similarity?: number;
}

const BANDS = 8;
/**
 * Entries kept per LSH bucket: templated datasets put thousands of rows in one bucket, and comparing with all of
 * them makes the scan quadratic. A full bucket keeps its earliest rows (later rows still match those).
 */
const BUCKET_CAP = 16;
const ROWS_PER_BAND = MINHASH_SIZE / BANDS;

/**
 * Exact and near duplicates over a stream of rows in bounded memory: a map of exact digests, and MinHash signatures
 * in one typed array found through LSH (8 bands of 4 values: pairs at similarity 0.8 share a band with probability
 * 0.97). Only a row with a smaller index counts as the original, so a resumed run that re-registers its finished
 * rows first decides every row as an uninterrupted run does. Rows with different anchors (images, answer) are never near duplicates.
 */
export class DuplicateIndex {
  private readonly nearThreshold: number;
  private readonly maxEntries: number;
  private readonly exact = new Map<string, number>();
  private count = 0;
  private signatures: Uint32Array;
  private anchors: Uint32Array;
  private rows: Int32Array;
  private readonly bands: Map<number, number | number[]>[] = Array.from({ length: BANDS }, () => new Map());

  constructor(options: DuplicateIndexOptions = {}) {
    this.nearThreshold = options.nearThreshold ?? 0.85;
    this.maxEntries = options.maxEntries ?? 2_000_000;
    const initial = Math.min(this.maxEntries, 1024);
    this.signatures = new Uint32Array(initial * MINHASH_SIZE);
    this.anchors = new Uint32Array(initial);
    this.rows = new Int32Array(initial);
  }

  /** Rows remembered. */
  get size(): number {
    return this.count;
  }

  /** The earliest earlier row this one duplicates, if any. `exact` should cover the images too. */
  find(row: number, exact: string, signature: Uint32Array, anchor: number): DuplicateMatch | undefined {
    const first = this.exact.get(exact);
    if (first !== undefined && first < row) return { kind: "exact", of: first };
    if (this.nearThreshold > 1) return undefined;
    let best: DuplicateMatch | undefined;
    const seen = new Set<number>();
    for (let band = 0; band < BANDS; band++) {
      const bucket = this.bands[band]!.get(bandKey(signature, band));
      if (bucket === undefined) continue;
      for (const entry of typeof bucket === "number" ? [bucket] : bucket) {
        if (seen.has(entry)) continue;
        seen.add(entry);
        const other = this.rows[entry]!;
        if (other >= row || this.anchors[entry] !== anchor) continue;
        const stored = this.signatures.subarray(entry * MINHASH_SIZE, (entry + 1) * MINHASH_SIZE);
        const similarity = signatureSimilarity(signature, stored);
        if (similarity >= this.nearThreshold && (best === undefined || other < best.of)) {
          best = { kind: "near", of: other, similarity };
        }
      }
    }
    return best;
  }

  /** Remembers a row that passed (false once the index is full: later rows are not remembered). */
  add(row: number, exact: string, signature: Uint32Array, anchor: number): boolean {
    if (this.count >= this.maxEntries) return false;
    const first = this.exact.get(exact);
    if (first === undefined || row < first) this.exact.set(exact, row);
    if (this.count === this.rows.length) this.grow();
    const entry = this.count++;
    this.signatures.set(signature, entry * MINHASH_SIZE);
    this.anchors[entry] = anchor;
    this.rows[entry] = row;
    for (let band = 0; band < BANDS; band++) {
      const key = bandKey(signature, band);
      const bucket = this.bands[band]!.get(key);
      if (bucket === undefined) this.bands[band]!.set(key, entry);
      else if (typeof bucket === "number") {
        this.bands[band]!.set(key, this.rows[bucket]! < row ? [bucket, entry] : [entry, bucket]);
      } else this.insertCapped(bucket, entry);
    }
    return true;
  }

  /**
   * Keeps a bucket's entries sorted by row and only the BUCKET_CAP earliest rows, so its content never depends on
   * the order rows were added in (a resumed run adds its finished rows first).
   */
  private insertCapped(bucket: number[], entry: number): void {
    const row = this.rows[entry]!;
    if (bucket.length >= BUCKET_CAP) {
      if (this.rows[bucket[bucket.length - 1]!]! < row) return;
      bucket.pop();
    }
    let at = bucket.length;
    while (at > 0 && this.rows[bucket[at - 1]!]! > row) at--;
    bucket.splice(at, 0, entry);
  }

  private grow(): void {
    const size = Math.min(this.maxEntries, this.rows.length * 2);
    const signatures = new Uint32Array(size * MINHASH_SIZE);
    signatures.set(this.signatures);
    this.signatures = signatures;
    const anchors = new Uint32Array(size);
    anchors.set(this.anchors);
    this.anchors = anchors;
    const rows = new Int32Array(size);
    rows.set(this.rows);
    this.rows = rows;
  }
}

/** One band's values hashed to a number (band-tagged so bands never collide with each other). */
function bandKey(signature: Uint32Array, band: number): number {
  let hash = 0x811c9dc5 ^ band;
  for (let i = band * ROWS_PER_BAND; i < (band + 1) * ROWS_PER_BAND; i++)
    hash = Math.imul(hash ^ signature[i]!, 0x01000193);
  return hash >>> 0;
}
