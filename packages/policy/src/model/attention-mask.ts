/** Added to the scores of key positions a query must not see; exp(−1e9 − max) is exactly 0 in float32. */
export const MASKED = -1e9;

/**
 * The additive mask for full-sequence attention, laid out as the scores `[B·Hkv, T·G, T]` (the queries of
 * the G heads that share a key/value head interleaved per position, row `i·G + g`): query i of row b sees
 * key j when `j ≤ i` and `j < lengths[b]`. Built whole in plain TS so that adding it is a same-shape op.
 */
export function causalPaddingMask(
  lengths: readonly number[],
  time: number,
  kvHeads: number,
  group: number,
): Float32Array {
  const block = time * group * time;
  const mask = new Float32Array(lengths.length * kvHeads * block);
  const pattern = new Float32Array(block);
  lengths.forEach((length, b) => {
    for (let i = 0; i < time; i++) {
      for (let g = 0; g < group; g++) {
        const row = (i * group + g) * time;
        for (let j = 0; j < time; j++) pattern[row + j] = j <= i && j < length ? 0 : MASKED;
      }
    }
    for (let c = 0; c < kvHeads; c++) mask.set(pattern, (b * kvHeads + c) * block);
  });
  return mask;
}

/**
 * The additive mask for one decoding step over a cache of `cacheLength` keys `[B·Hkv, G, cacheLength]`:
 * row b sees its prompt (`j < promptLengths[b]`, the rest of the prefill block is padding) and every
 * generated key (`j ≥ prefillLength`).
 */
export function decodeStepMask(
  promptLengths: readonly number[],
  prefillLength: number,
  cacheLength: number,
  kvHeads: number,
  group: number,
): Float32Array {
  const mask = new Float32Array(promptLengths.length * kvHeads * group * cacheLength);
  const pattern = new Float32Array(cacheLength);
  promptLengths.forEach((length, b) => {
    for (let j = 0; j < cacheLength; j++) pattern[j] = j < length || j >= prefillLength ? 0 : MASKED;
    for (let c = 0; c < kvHeads * group; c++) mask.set(pattern, (b * kvHeads * group + c) * cacheLength);
  });
  return mask;
}
