import { tf } from "@hdpo/tensor";

/*
 * The model's building blocks, written so that every elementwise op (and its gradient) sees operands of
 * one shape. On the cpu and wasm backends a broadcasting binary op takes a generic path 30-70× slower
 * than a same-shape one, so per-row values are expanded with a 1-deep matMul (exact: v·1) instead, and
 * reductions over the last axis are matMuls against a column of ones.
 */

type UnaryGradFunc = (
  x: tf.Tensor,
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor };

/** `tf.customGrad` for a one-input op, with the argument types tfjs's variadic signature cannot express. */
function unaryCustomGrad(f: UnaryGradFunc): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) =>
    f(args[0] as tf.Tensor, args[1] as tf.GradSaveFunc),
  );
  return (x) => op(x);
}

type BinaryGradFunc = (
  a: tf.Tensor,
  b: tf.Tensor,
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** `tf.customGrad` for a two-input op. */
function binaryCustomGrad(f: BinaryGradFunc): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) =>
    f(args[0] as tf.Tensor, args[1] as tf.Tensor, args[2] as tf.GradSaveFunc),
  );
  return (a, b) => op(a, b);
}

/** The last two axes swapped, materialised. */
export function swapLastAxes<T extends tf.Tensor>(x: T): T {
  return (x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [0, 2, 1])) as T;
}

const plainMatMul = binaryCustomGrad((a, b, save) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy, [sa, sb]) => [
      tf.matMul(dy as tf.Tensor3D, swapLastAxes(sb as tf.Tensor3D)),
      tf.matMul(swapLastAxes(sa as tf.Tensor3D), dy as tf.Tensor3D),
    ],
  };
});

/**
 * `a · b` (rank 2, or rank 3 batched) whose gradients are plain matMuls of explicitly transposed operands.
 * On the wasm backend a BatchMatMul with a transpose flag is 10-15× slower than one without (measured:
 * `[4096,512]ᵀ·[4096,64]` 315 ms against 24 ms for `[4096,512]·[512,64]`), and tfjs's matMul gradient
 * uses those flags; a transpose of the smaller operand costs about 1 ms.
 */
export function matMul<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  return plainMatMul(a, b) as T;
}

/**
 * `x · constant` where only `x` needs a gradient (`dy · constantᵀ`), e.g. RoPE's rotate-half matrix: `matMul` would
 * also form the constant's gradient, a product over every row of `x` plus a transpose of `x`.
 */
export function matMulByConstant(x: tf.Tensor2D, constant: tf.Tensor2D): tf.Tensor2D {
  // The constant goes through `save` so that the tape keeps it alive until the backward pass (see `embed`).
  const product = unaryCustomGrad((input, save) => {
    save([constant]);
    return {
      value: tf.matMul(input as tf.Tensor2D, constant),
      gradFunc: (dy, [saved]) => tf.matMul(dy as tf.Tensor2D, tf.transpose(saved as tf.Tensor2D)),
    };
  });
  return product(x) as tf.Tensor2D;
}

/**
 * `oneHot(ids, depth)` as float32. Made as int32 and cast: the wasm backend's OneHot with a float32 dtype
 * writes the integer bit pattern of 1 (reading back as 1.4e-45) instead of 1.0 (tfjs-backend-wasm 4.22).
 */
export function oneHotFloat(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(ids, depth), "float32") as tf.Tensor2D;
}

/**
 * Per-row values `[N]` or `[N, 1]` as `[N, columns]` (every row constant). Only the values get a gradient (the row
 * sums of `dy`): a plain matMul would also form the gradient of its constant row of ones, a wasted `[1, N]·[N, C]`.
 */
export function expandRows(values: tf.Tensor, columns: number): tf.Tensor2D {
  const rows = values.shape[0]!;
  const shape = values.shape;
  const expand = unaryCustomGrad((v) => ({
    value: tf.matMul(tf.reshape(v, [rows, 1]) as tf.Tensor2D, tf.ones([1, columns])),
    gradFunc: (dy) => tf.reshape(tf.matMul(dy as tf.Tensor2D, tf.ones([columns, 1])), shape),
  }));
  return expand(values) as tf.Tensor2D;
}

/**
 * A vector `[columns]` repeated as `rows` rows `[rows, columns]`; its gradient is the column sums of `dy`, formed as
 * the product `1ᵀ·dy` (on wasm ~10× faster than `tf.sum(dy, 0)`, which transposes `dy` to reduce the inner axis).
 */
export function expandColumns(vector: tf.Tensor, rows: number): tf.Tensor2D {
  const columns = vector.shape[vector.rank - 1]!;
  const shape = vector.shape;
  const expand = unaryCustomGrad((v) => ({
    value: tf.matMul(tf.ones([rows, 1]), tf.reshape(v, [1, columns]) as tf.Tensor2D),
    gradFunc: (dy) => tf.reshape(tf.matMul(tf.ones([1, rows]), dy as tf.Tensor2D), shape),
  }));
  return expand(vector) as tf.Tensor2D;
}

/** Row sums of `[N, C]` as `[N, 1]`; the gradient goes to `x` alone (see `expandRows`). */
export function rowSums(x: tf.Tensor2D): tf.Tensor2D {
  const columns = x.shape[1];
  const sum = unaryCustomGrad((input) => ({
    value: tf.matMul(input as tf.Tensor2D, tf.ones([columns, 1])),
    gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, tf.ones([1, columns])),
  }));
  return sum(x) as tf.Tensor2D;
}

/** RMSNorm as Qwen2: `w ⊙ x / √(mean(x²) + eps)` over the last axis of `[N, d]`. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor, eps: number): tf.Tensor2D {
  const [n, d] = x.shape;
  const meanSquare = matMulByConstant(tf.square(x), tf.fill([d, 1], 1 / d) as tf.Tensor2D);
  const inverse = tf.rsqrt(tf.add(meanSquare, tf.scalar(eps))) as tf.Tensor2D;
  return tf.mul(tf.mul(x, expandRows(inverse, d)), expandColumns(weight, n));
}

const linearProduct = binaryCustomGrad((x, weight, save) => {
  save([x, weight]);
  return {
    value: tf.matMul(x as tf.Tensor2D, tf.transpose(weight as tf.Tensor2D)),
    gradFunc: (dy, [sx, sw]) => [
      tf.matMul(dy as tf.Tensor2D, sw as tf.Tensor2D),
      weightGradient(dy as tf.Tensor2D, sx as tf.Tensor2D),
    ],
  };
});

/**
 * `dyᵀ·x` `[out, in]` for `dy` `[N, out]` and `x` `[N, in]`, transposing the narrower of the two: on wasm a transpose
 * of `[N, C]` costs about as much as a product with it (`[4096, 512]`: ~2× the `[64, 4096]·[4096, 512]` product it
 * feeds), so the LM head transposes its 64-wide input, not its 512-wide gradient, and a down projection its 64-wide
 * gradient, not its 172-wide input. Transposing the small `[in, out]` result is next to free.
 */
function weightGradient(dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  return dy.shape[1] <= x.shape[1]
    ? tf.matMul(tf.transpose(dy), x)
    : (tf.transpose(tf.matMul(tf.transpose(x), dy)) as tf.Tensor2D);
}

/**
 * A PyTorch Linear: `x · Wᵀ + b` with `W` `[out, in]`, as one op whose gradients are plain products: `dy·W` for
 * `x` (no transpose at all) and `weightGradient` for `W` (where `x·transpose(W)` would transpose `x` for the
 * weight gradient, then transpose that gradient back).
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor2D {
  const y = linearProduct(x, weight) as tf.Tensor2D;
  return bias === undefined ? y : (tf.add(y, expandColumns(bias, x.shape[0])) as tf.Tensor2D);
}

/** SiLU `x·σ(x)`. */
export function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * Softmax over the last axis with a same-shape gradient `y ⊙ (dy − Σ(dy ⊙ y))`: tfjs's own softmax
 * gradient broadcasts a `[…, 1]` sum against the full tensor.
 */
export function lastAxisSoftmax(x: tf.Tensor): tf.Tensor {
  const shape = x.shape;
  const columns = shape[shape.length - 1]!;
  const rows = x.size / columns;
  const softmax = unaryCustomGrad((input, save) => {
    const y = tf.softmax(tf.reshape(input, [rows, columns]));
    save([y]);
    return {
      value: tf.reshape(y, shape),
      gradFunc: (dy, saved) => {
        const probs = saved[0] as tf.Tensor2D;
        const dyProbs: tf.Tensor2D = tf.mul(tf.reshape(dy, [rows, columns]), probs);
        const weighted = expandRows(rowSums(dyProbs), columns);
        return tf.reshape(tf.sub(dyProbs, tf.mul(probs, weighted)), shape);
      },
    };
  });
  return softmax(x);
}

/**
 * Embedding rows `table[ids]` `[N, d]`. Forward is a gather. Its gradient is a scatter-add of `dy` into
 * the table's rows: tfjs's UnsortedSegmentSum where the backend has it, else (wasm, which lacks it) a
 * plain loop over the read-back `dy`, which for N·d of a few hundred thousand takes about a millisecond
 * where the `oneHot(ids)ᵀ·dy` matMul takes tens.
 */
export function embed(table: tf.Tensor, ids: tf.Tensor1D): tf.Tensor2D {
  const vocab = table.shape[0]!;
  // The ids go through `save` so that the tape keeps them alive until the backward pass, even when the
  // caller made them inside a tidy that has ended by then.
  const lookup = unaryCustomGrad((t, save) => {
    save([ids]);
    return {
      value: gatherRows(t as tf.Tensor2D, ids),
      gradFunc: (dy, saved) => scatterAddRows(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, vocab),
    };
  });
  return lookup(table) as tf.Tensor2D;
}

/** Above this many table entries, reading the table back to gather in JS costs more than tfjs's gather. */
const JS_GATHER_MAX_TABLE = 1 << 22;

/**
 * `table[ids]`. On wasm, for a small table, a plain copy loop over the read-back table (tfjs's wasm GatherV2
 * took 14 ms for 4096 rows of 64, the loop well under one); elsewhere, or for a large table, `tf.gather`.
 */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (tf.getBackend() !== "wasm" || table.size > JS_GATHER_MAX_TABLE) return tf.gather(table, ids);
  const width = table.shape[1];
  const values = table.dataSync();
  const indices = ids.dataSync();
  const out = new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    out.set(values.subarray(indices[i]! * width, (indices[i]! + 1) * width), i * width);
  }
  return tf.tensor2d(out, [indices.length, width]);
}

/** `out[ids[i]] += rows[i]` into a `[count, d]` zero table. */
export function scatterAddRows(rows: tf.Tensor2D, ids: tf.Tensor1D, count: number): tf.Tensor2D {
  if (tf.getKernel("UnsortedSegmentSum", tf.getBackend()) !== undefined) {
    return tf.unsortedSegmentSum(rows, ids, count);
  }
  const width = rows.shape[1];
  const values = rows.dataSync();
  const indices = ids.dataSync();
  const out = new Float32Array(count * width);
  for (let i = 0; i < indices.length; i++) {
    const target = indices[i]! * width;
    const source = i * width;
    for (let j = 0; j < width; j++) out[target + j]! += values[source + j]!;
  }
  return tf.tensor2d(out, [count, width]);
}

/**
 * `log softmax(logits)[target]` per row `[N]` given the targets as a one-hot `[N, V]` (an all-zero row
 * gives `−logsumexp`, which callers mask). The gradient `dy ⊙ (oneHot − softmax)` is formed in one shape;
 * no gather anywhere, so it differentiates on wasm.
 *
 * The log-normaliser comes from the softmax itself: with `m` the row max and `p = softmax(z)`, the max's
 * probability is `1 / Σ exp(z − m)`, so `logsumexp(z) = m − log(max p)`, exact up to float32 rounding and never
 * underflowing (`max p ≥ 1/V`). The softmax kernel (XNNPACK's vectorised exp) runs ~7× faster on wasm than
 * the elementwise Exp a direct logsumexp needs, and its output is the probabilities the gradient reuses.
 */
export function targetLogProbs(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  const vocab = logits.shape[1];
  const pick = unaryCustomGrad((z, save) => {
    const z2 = z as tf.Tensor2D;
    const probs = tf.softmax(z2) as tf.Tensor2D;
    save([probs, targets]);
    const logSumExp = tf.sub(tf.max(z2, 1), tf.log(tf.max(probs, 1)));
    return {
      value: tf.sub(tf.sum(tf.mul(z2, targets), 1), logSumExp),
      gradFunc: (dy, [savedProbs, savedTargets]) =>
        tf.mul(expandRows(dy, vocab), tf.sub(savedTargets!, savedProbs!)),
    };
  });
  return pick(logits) as tf.Tensor1D;
}

/** Entropy of `softmax(logits)` per row `[N]`, `logsumexp(z) − Σ p·z`; for monitoring (its gradient is tfjs's). */
export function rowEntropy(logits: tf.Tensor2D): tf.Tensor1D {
  const vocab = logits.shape[1];
  const max = tf.max(logits, 1);
  const shifted = tf.sub(logits, expandRows(max, vocab));
  const logSumExp = tf.log(tf.sum(tf.exp(shifted), 1));
  const probs = tf.softmax(logits);
  return tf.sub(logSumExp, tf.sum(tf.mul(probs, shifted), 1));
}
