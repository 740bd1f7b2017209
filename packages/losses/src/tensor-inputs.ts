import { tf } from "@hdpo/tensor";
import { LossError } from "./losses-error";

/** A named tensor input, for error messages. */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/**
 * Checks the per-token tensors: logProb and oldLogProb float32 `[B, L]` with B, L ≥ 1; mask `[B, L]`
 * (float32, int32 or bool); every advantage float32 `[B]` or `[B, L]`.
 *
 * @returns `[B, L]`.
 * @throws LossError naming the tensor, its shape or dtype, and what was expected.
 */
export function checkTensorShapes(
  fn: string,
  logProb: tf.Tensor,
  oldLogProb: tf.Tensor,
  mask: tf.Tensor,
  advantages: readonly NamedTensor[],
): [number, number] {
  assertTensor(fn, "logProb", logProb);
  if (logProb.rank !== 2) {
    throw new LossError(`${fn}: logProb must be [B, L] (rank 2), got shape ${shape(logProb)}.`);
  }
  const [rows, columns] = logProb.shape as [number, number];
  if (rows === 0 || columns === 0) {
    throw new LossError(`${fn}: logProb has shape ${shape(logProb)}; B and L must both be ≥ 1.`);
  }
  for (const [name, tensor] of [
    ["oldLogProb", oldLogProb],
    ["mask", mask],
  ] as const) {
    assertTensor(fn, name, tensor);
    if (!sameShape(tensor.shape, logProb.shape)) {
      throw new LossError(
        `${fn}: ${name} has shape ${shape(tensor)} but logProb has ${shape(logProb)}; they must match.`,
      );
    }
  }
  assertDtype(fn, "logProb", logProb, ["float32"]);
  assertDtype(fn, "oldLogProb", oldLogProb, ["float32"]);
  assertDtype(fn, "mask", mask, ["float32", "int32", "bool"]);
  for (const { name, tensor } of advantages) {
    assertTensor(fn, name, tensor);
    const perRow = tensor.rank === 1 && tensor.shape[0] === rows;
    if (!perRow && !sameShape(tensor.shape, logProb.shape)) {
      throw new LossError(
        `${fn}: ${name} has shape ${shape(tensor)}; with logProb ${shape(logProb)} it must be [${rows}] or [${rows},${columns}].`,
      );
    }
    assertDtype(fn, name, tensor, ["float32"]);
  }
  return [rows, columns];
}

/**
 * Checks the values with one small read-back: no NaN or ±Infinity in logProb, oldLogProb or an
 * advantage (masked positions included, since 0·NaN is NaN in the loss and its gradient), and a mask of
 * 0s and 1s.
 *
 * @throws LossError naming the tensor and how many entries are bad.
 */
export function checkTensorValues(fn: string, finite: readonly NamedTensor[], mask: tf.Tensor): void {
  const counts = tf.tidy(() =>
    tf.stack([
      ...finite.map(({ tensor }) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(tensor)), "float32"))),
      tf.sum(tf.cast(tf.logicalAnd(tf.notEqual(mask, 0), tf.notEqual(mask, 1)), "float32")),
    ]),
  );
  const values = counts.dataSync();
  counts.dispose();
  finite.forEach(({ name }, index) => {
    const bad = values[index]!;
    if (bad > 0) {
      throw new LossError(
        `${fn}: ${name} has ${bad} non-finite entries (NaN or ±Infinity); every entry must be finite, masked ` +
          "positions included (put 0 there).",
      );
    }
  });
  const badMask = values[finite.length]!;
  if (badMask > 0) {
    throw new LossError(
      `${fn}: mask has ${badMask} entries other than 0 and 1; the mask must hold only 0 and 1.`,
    );
  }
}

function assertTensor(fn: string, name: string, value: unknown): asserts value is tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new LossError(
      `${fn}: ${name} must be a tf.Tensor (from @hdpo/tensor's tf), got ${describe(value)}.`,
    );
  }
  if (value.isDisposed) throw new LossError(`${fn}: ${name} has been disposed; pass a live tensor.`);
}

function assertDtype(fn: string, name: string, tensor: tf.Tensor, allowed: readonly string[]): void {
  if (!allowed.includes(tensor.dtype)) {
    throw new LossError(`${fn}: ${name} has dtype ${tensor.dtype}; expected ${allowed.join(" or ")}.`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, index) => size === b[index]);
}

function shape(tensor: tf.Tensor): string {
  return `[${tensor.shape.join(",")}]`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array (wrap it with tf.tensor2d / tf.tensor1d)";
  return value === null ? "null" : typeof value;
}
