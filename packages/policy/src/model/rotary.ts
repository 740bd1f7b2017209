/**
 * Rotary position tables in transformers' Qwen2 convention: inverse frequencies θ^(−2i/d) for i < d/2,
 * the angle vector duplicated as `cat(freqs, freqs)`, and `q·cos + rotate_half(q)·sin` with
 * `rotate_half(x) = cat(−x₂, x₁)`.
 */

/** The inverse frequencies `1 / θ^(2i/d)`, i = 0 … d/2 − 1, computed in float64 as transformers does in float32. */
export function inverseFrequencies(headDim: number, theta: number): Float64Array {
  const half = headDim / 2;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) out[i] = 1 / theta ** ((2 * i) / headDim);
  return out;
}

/**
 * cos and sin rows for every (token, head) pair, laid out `[tokens · heads, headDim]` with the heads of
 * one token adjacent, i.e. the layout of a `[tokens, heads · headDim]` projection reshaped to rows of one
 * head. Both are multiplied by `scale`, so that the attention's 1/√d can ride on the query's rotation
 * for free.
 */
export function rotaryTables(
  positions: readonly number[],
  heads: number,
  headDim: number,
  theta: number,
  scale = 1,
): { cos: Float32Array; sin: Float32Array } {
  const inv = inverseFrequencies(headDim, theta);
  const half = headDim / 2;
  const cos = new Float32Array(positions.length * heads * headDim);
  const sin = new Float32Array(cos.length);
  const rowCos = new Float32Array(headDim);
  const rowSin = new Float32Array(headDim);
  positions.forEach((position, token) => {
    for (let i = 0; i < half; i++) {
      const angle = position * inv[i]!;
      rowCos[i] = rowCos[i + half] = Math.cos(angle) * scale;
      rowSin[i] = rowSin[i + half] = Math.sin(angle) * scale;
    }
    for (let h = 0; h < heads; h++) {
      const offset = (token * heads + h) * headDim;
      cos.set(rowCos, offset);
      sin.set(rowSin, offset);
    }
  });
  return { cos, sin };
}

/**
 * The `[d, d]` matrix R with `x·R = rotate_half(x) = cat(−x₂, x₁)`: a matMul is one fast kernel where the
 * slice/neg/concat form is four ops and their gradients.
 */
export function rotateHalfMatrix(headDim: number): Float32Array {
  const half = headDim / 2;
  const r = new Float32Array(headDim * headDim);
  for (let j = 0; j < half; j++) {
    r[(j + half) * headDim + j] = -1; // out[j] = −x[j + d/2]
    r[j * headDim + (j + half)] = 1; // out[j + d/2] = x[j]
  }
  return r;
}
