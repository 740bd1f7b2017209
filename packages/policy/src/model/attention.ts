import { tf } from "@hdpo/tensor";
import { lastAxisSoftmax, matMul, swapLastAxes } from "./tensor-ops";

/**
 * Below this many multiply-adds per block product, one batched matMul beats K separate 2-D ones on wasm
 * (per-op overhead wins over the batched kernel's slow loop), e.g. for one decoding step.
 */
const PER_BLOCK_MIN_WORK = 32_768;

/**
 * Scaled dot-product attention over K independent blocks: `softmax(q·kᵀ + mask)·v` with q `[K, M, d]`
 * (already scaled), keys and values `[K, S, d]`, and the additive mask `[K, M, S]` as plain data.
 * Returns `[K, M, d]`. Differentiable.
 *
 * On wasm, tfjs's BatchMatMul hands only a single 2-D product to XNNPACK and runs batches in a scalar
 * loop (about 0.5 GFLOP/s), so large blocks are attended one by one with 2-D matMuls, the mask made per
 * block from the plain data (see `attendBlockByBlock`).
 */
export function attend(
  q: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  mask: Float32Array,
): tf.Tensor3D {
  const [blocks, rows, headDim] = q.shape;
  const columns = keys.shape[1];
  if (tf.getBackend() !== "wasm" || blocks === 1 || rows * columns * headDim < PER_BLOCK_MIN_WORK) {
    const scores = tf.add(matMul(q, swapLastAxes(keys)), tf.tensor3d(mask, [blocks, rows, columns]));
    return matMul(lastAxisSoftmax(scores) as tf.Tensor3D, values);
  }
  return attendBlockByBlock(q, keys, values, mask);
}

/**
 * The per-block path of `attend` as one op with a hand-written backward, so that the backward pass is
 * five kernels per block instead of the dozen autodiff makes (transposes of each block's probabilities,
 * the softmax gradient's row sums and their expansion, the splits' concat gradients). With O = P·v and
 * P = softmax(S): dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)) (rowsum(dP ⊙ P) equals rowsum(dO ⊙ O)), and
 * `dP − rowsum(dO ⊙ O)` is the single product `[dO | dO ⊙ O] · [vᵀ ; −1]`. The key and value gradients
 * are formed transposed (`qᵀ·dS`, `dOᵀ·P`) from operands transposed once for all blocks, then transposed
 * back in one kernel each.
 */
function attendBlockByBlock(
  q: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  mask: Float32Array,
): tf.Tensor3D {
  const [blocks, rows, headDim] = q.shape;
  const columns = keys.shape[1];
  const size = rows * columns;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qIn, kIn, vIn] = args as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const save = args[3] as tf.GradSaveFunc;
    const qs = unstackOffTape(qIn);
    const kTs = unstackOffTape(swapLastAxes(kIn));
    const vs = unstackOffTape(vIn);
    const probs = qs.map((qi, i) => {
      const blockMask = tf.tensor2d(mask.subarray(i * size, (i + 1) * size), [rows, columns]);
      return tf.softmax(tf.add(tf.matMul(qi, kTs[i]!), blockMask)) as tf.Tensor2D;
    });
    const out = tf.stack(probs.map((p, i) => tf.matMul(p, vs[i]!))) as tf.Tensor3D;
    save([qIn, kIn, vIn, out, ...probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, so] = saved as tf.Tensor3D[];
        const p = saved.slice(4) as tf.Tensor2D[];
        const dOut = dy as tf.Tensor3D;
        const left = unstackOffTape(tf.concat([dOut, tf.mul(dOut, so!)], 2) as tf.Tensor3D);
        const right = unstackOffTape(
          tf.concat([swapLastAxes(sv!), tf.fill([blocks, headDim, columns], -1)], 1) as tf.Tensor3D,
        );
        const ks = unstackOffTape(sk!);
        const qTs = unstackOffTape(swapLastAxes(sq!));
        const dOutTs = unstackOffTape(swapLastAxes(dOut));
        const dq: tf.Tensor2D[] = [];
        const dkT: tf.Tensor2D[] = [];
        const dvT: tf.Tensor2D[] = [];
        for (let i = 0; i < blocks; i++) {
          const dScores = tf.mul(p[i]!, tf.matMul(left[i]!, right[i]!));
          dq.push(tf.matMul(dScores, ks[i]!));
          dkT.push(tf.matMul(qTs[i]!, dScores));
          dvT.push(tf.matMul(dOutTs[i]!, p[i]!));
        }
        return [
          tf.stack(dq) as tf.Tensor3D,
          swapLastAxes(tf.stack(dkT) as tf.Tensor3D),
          swapLastAxes(tf.stack(dvT) as tf.Tensor3D),
        ];
      },
    };
  });
  return op(q, keys, values) as tf.Tensor3D;
}

/**
 * `[K, A, B]` as K tensors `[A, B]` through one read-back of the data and K uploads: two copies of the
 * tensor in all, where tfjs's split on wasm copies its whole input once per piece (a differentiable split
 * by halving still costs 2·log₂K copies). Not differentiable: for use inside a custom gradient's forward
 * or backward.
 */
function unstackOffTape(x: tf.Tensor3D): tf.Tensor2D[] {
  const [count, a, b] = x.shape;
  const data = x.dataSync() as Float32Array;
  const size = a * b;
  return Array.from({ length: count }, (_, i) =>
    tf.tensor2d(data.subarray(i * size, (i + 1) * size), [a, b]),
  );
}
