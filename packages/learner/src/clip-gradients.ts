import { tf } from "@hdpo/tensor";

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm` (torch's `clip_grad_norm_`, as verl clips).
 * Returns new tensors (the caller disposes them and the inputs) and the norm before clipping.
 */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): { grads: tf.NamedTensorMap; norm: number } {
  const names = Object.keys(grads);
  const normTensor = tf.tidy(() => tf.sqrt(tf.addN(names.map((name) => tf.sum(tf.square(grads[name]!))))));
  const norm = normTensor.dataSync()[0]!;
  normTensor.dispose();
  const scale = Number.isFinite(norm) && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  const clipped: tf.NamedTensorMap = {};
  for (const name of names) clipped[name] = tf.mul(grads[name]!, scale);
  return { grads: clipped, norm };
}
