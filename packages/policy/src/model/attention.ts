import { tf } from "@hdpo/tensor";
import { type AttentionMask, additiveMaskValues } from "./attention-mask";
import { FusedAttentionKernel } from "./fused-attention-kernel";
import { lastAxisSoftmax, matMul, swapLastAxes } from "./tensor-ops";

/**
 * Below this many multiply-adds per block product, one batched matMul beats K separate 2-D ones on wasm
 * (per-op overhead wins over the batched kernel's slow loop), e.g. for one decoding step.
 */
const PER_BLOCK_MIN_WORK = 32_768;

/**
 * Scaled dot-product attention over K independent blocks: `softmax(q·kᵀ + mask)·v` with q `[K, M, d]`
 * (already scaled), keys and values `[K, S, d]`, and the mask as plain data. Returns `[K, M, d]`.
 * Differentiable.
 *
 * On wasm, a prefix mask (causal and padding: training, scoring, prefill) runs the fused kernel
 * (`FusedAttentionKernel`) for all blocks at once. Otherwise: tfjs's BatchMatMul on wasm hands only a single
 * 2-D product to XNNPACK and runs batches in a scalar loop (about 0.5 GFLOP/s), so large blocks are attended
 * one by one with 2-D matMuls, the mask made per block from the plain data (see `attendBlockByBlock`).
 */
export function attend(
  q: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  mask: AttentionMask,
): tf.Tensor3D {
  const [blocks, rows, headDim] = q.shape;
  const columns = keys.shape[1];
  if (tf.getBackend() === "wasm" && mask.kind === "prefix" && fusedAttentionEnabled()) {
    const kernel = FusedAttentionKernel.load();
    const shape = { blocks, rows, keys: columns, dim: headDim };
    if (kernel !== null && FusedAttentionKernel.supports(shape, mask.visibleKeys)) {
      return attendFused(kernel, q, keys, values, mask.visibleKeys);
    }
  }
  const additive = additiveMaskValues(mask, columns);
  if (tf.getBackend() !== "wasm" || blocks === 1 || rows * columns * headDim < PER_BLOCK_MIN_WORK) {
    const scores = tf.add(matMul(q, swapLastAxes(keys)), tf.tensor3d(additive, [blocks, rows, columns]));
    return matMul(lastAxisSoftmax(scores) as tf.Tensor3D, values);
  }
  return attendBlockByBlock(q, keys, values, additive);
}

/** `HDPO_FUSED_ATTENTION=0` turns the fused kernel off (to compare against the per-block path). */
function fusedAttentionEnabled(): boolean {
  return process.env.HDPO_FUSED_ATTENTION !== "0";
}

/**
 * The fused path of `attend` as one op: the kernel's forward keeps the probabilities (plain data, held by the
 * gradient closure) for its backward.
 */
function attendFused(
  kernel: FusedAttentionKernel,
  q: tf.Tensor3D,
  keys: tf.Tensor3D,
  values: tf.Tensor3D,
  visible: Int32Array,
): tf.Tensor3D {
  const [blocks, rows, dim] = q.shape;
  const shape = { blocks, rows, keys: keys.shape[1], dim };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qIn, kIn, vIn] = args as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const inputs = {
      q: qIn.dataSync() as Float32Array,
      k: kIn.dataSync() as Float32Array,
      v: vIn.dataSync() as Float32Array,
      visible,
    };
    const forward = kernel.forward(shape, inputs);
    return {
      value: tf.tensor3d(forward.out, q.shape),
      gradFunc: (dy: tf.Tensor) => {
        const grads = kernel.backward(shape, inputs, forward, dy.dataSync() as Float32Array);
        return [
          tf.tensor3d(grads.dq, q.shape),
          tf.tensor3d(grads.dk, keys.shape),
          tf.tensor3d(grads.dv, values.shape),
        ];
      },
    };
  });
  return op(q, keys, values) as tf.Tensor3D;
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
