import { createHash } from "node:crypto";

/** Case, Unicode form and whitespace folded: what "the same text" means for exact duplicates. */
export function normalizeText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** A 64-bit hex digest (collisions are negligible at dataset sizes). */
export function exactDigest(text: string): string {
  return createHash("sha1").update(text).digest("hex").slice(0, 16);
}

/** Minhash values per signature. */
export const MINHASH_SIZE = 32;
/** Shingle width in characters, over text without punctuation. */
const SHINGLE = 5;

const EMPTY = 0xffffffff;

/**
 * The MinHash signature of a text's character 5-shingles (lower case, punctuation and whitespace runs folded to one
 * space), by one-permutation hashing: each shingle's hash picks one of 32 bins by its top bits and the bin keeps its
 * smallest value, so a row costs one hash per shingle instead of 32. Bins no shingle reached stay empty.
 */
export function minhash(text: string, out = new Uint32Array(MINHASH_SIZE)): Uint32Array {
  const folded = ` ${normalizeText(text)
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()} `;
  out.fill(EMPTY);
  const last = Math.max(1, folded.length - SHINGLE + 1);
  for (let start = 0; start < last; start++) {
    let hash = 0x811c9dc5;
    const end = Math.min(folded.length, start + SHINGLE);
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ folded.charCodeAt(i), 0x01000193);
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    const bin = hash >>> 27;
    const value = hash & 0x07ffffff;
    if (value < out[bin]!) out[bin] = value;
  }
  return out;
}

/**
 * The share of bins where two signatures agree, among bins either filled: an estimate of the Jaccard similarity of
 * their shingle sets (bins empty in both say nothing).
 */
export function signatureSimilarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  let used = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === EMPTY && b[i] === EMPTY) continue;
    used++;
    if (a[i] === b[i]) same++;
  }
  return used === 0 ? 1 : same / used;
}
