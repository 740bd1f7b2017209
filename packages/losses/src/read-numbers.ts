import type { tf } from "@hdpo/tensor";

/** Reads a small tensor back as numbers (one synchronous read-back) and disposes it. */
export function readNumbers(tensor: tf.Tensor): number[] {
  const values = Array.from(tensor.dataSync());
  tensor.dispose();
  return values;
}
