import { tf } from "@hdpo/tensor";

/**
 * Per-row values `[B]` expanded to `[B, L]` (every row constant), as the outer product with a row of
 * ones. Why not let tfjs broadcast `[B, 1]` against `[B, L]`: on the cpu and wasm backends broadcasting
 * binary ops take a generic path that is 30-70× slower than same-shape ones (a 256×1024 `minimum` takes
 * 46 ms on wasm against 6 ms same-shape, a `mul` 52 ms on cpu against 7 ms), and their gradients
 * broadcast again. A 1-deep matMul is exact (v·1) and takes about 1 ms on wasm, 12 ms on cpu.
 */
export function expandRows(values: tf.Tensor, columns: number): tf.Tensor2D {
  const [rows] = values.shape as [number];
  return tf.matMul(tf.reshape(values, [rows, 1]), tf.ones([1, columns]));
}

/** Advantages `[B]` or `[B, L]` as `[B, L]`. */
export function perTokenAdvantages(advantages: tf.Tensor, columns: number): tf.Tensor2D {
  return advantages.rank === 1 ? expandRows(advantages, columns) : (advantages as tf.Tensor2D);
}
