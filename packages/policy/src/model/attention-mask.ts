/** Added to the scores of key positions a query must not see; exp(−1e9 − max) is exactly 0 in float32. */
export const MASKED = -1e9;

/**
 * Which keys each query of a batch of attention blocks `[K, M, S]` sees: a prefix of the keys per query row
 * (`visibleKeys[k·M + m]`, what causal and padding masks are), or any pattern as additive values laid out as the
 * scores.
 */
export type AttentionMask =
  | { kind: "prefix"; visibleKeys: Int32Array }
  | { kind: "additive"; values: Float32Array };

/**
 * The mask for full-sequence attention over blocks `[B·Hkv, T·G, T]` (the queries of the G heads that share a
 * key/value head interleaved per position, row `i·G + g`): query i of row b sees key j when `j ≤ i` and
 * `j < lengths[b]`, i.e. the first `min(i + 1, lengths[b])` keys.
 */
export function causalPaddingMask(
  lengths: readonly number[],
  time: number,
  kvHeads: number,
  group: number,
): AttentionMask {
  const rows = time * group;
  const visibleKeys = new Int32Array(lengths.length * kvHeads * rows);
  lengths.forEach((length, b) => {
    for (let c = 0; c < kvHeads; c++) {
      const block = (b * kvHeads + c) * rows;
      for (let i = 0; i < time; i++) {
        visibleKeys.fill(Math.min(i + 1, length), block + i * group, block + (i + 1) * group);
      }
    }
  });
  return { kind: "prefix", visibleKeys };
}

/**
 * The mask for one decoding step over a cache of `cacheLength` keys `[B·Hkv, G, cacheLength]`: row b sees its
 * prompt (`j < promptLengths[b]`, the rest of the prefill block is padding) and every generated key
 * (`j ≥ prefillLength`).
 */
export function decodeStepMask(
  promptLengths: readonly number[],
  prefillLength: number,
  cacheLength: number,
  kvHeads: number,
  group: number,
): AttentionMask {
  const values = new Float32Array(promptLengths.length * kvHeads * group * cacheLength);
  const pattern = new Float32Array(cacheLength);
  promptLengths.forEach((length, b) => {
    for (let j = 0; j < cacheLength; j++) pattern[j] = j < length || j >= prefillLength ? 0 : MASKED;
    for (let c = 0; c < kvHeads * group; c++) values.set(pattern, (b * kvHeads * group + c) * cacheLength);
  });
  return { kind: "additive", values };
}

/** The mask as additive values `[K, M, S]` (0 where seen, `MASKED` elsewhere). */
export function additiveMaskValues(mask: AttentionMask, keys: number): Float32Array {
  if (mask.kind === "additive") return mask.values;
  const { visibleKeys } = mask;
  const values = new Float32Array(visibleKeys.length * keys);
  visibleKeys.forEach((visible, row) => {
    values.fill(MASKED, row * keys + visible, (row + 1) * keys);
  });
  return values;
}
