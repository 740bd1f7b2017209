// Fused scaled dot-product attention over independent blocks, for AssemblyScript with 128-bit SIMD.
//
// A block is `rows` queries over `keys` keys and values, all row-major float32 with `dim` columns (a multiple
// of 4). Query row r sees the first visible[r] keys (a causal or padding mask is always such a prefix), so the
// masked half of a causal block costs nothing. The host places every buffer in this module's memory and passes
// byte offsets; `scratch` holds one block's transposed keys (forward) or values and score gradients (backward).
// Compiled by scripts/build-attention-kernel.mjs into src/model/attention-kernel-wasm.ts.

/** Columns of the probability and scratch rows: `keys` rounded up to whole vectors. */
export function paddedKeys(keys: i32): i32 {
  return (keys + 3) & ~3;
}

/** Bytes of scratch `attentionBackward` needs (`attentionForward` needs less). */
export function scratchBytes(rows: i32, keys: i32, dim: i32): i32 {
  return (dim + rows) * paddedKeys(keys) * 4;
}

// Small functions like this one are inlined by the optimiser (-O3).
function at(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2);
}

/** `dst[c, r] = src[r, c]` for a `[rows, cols]` source, `dst` rows `stride` wide and zero past `rows`. */
function transposeInto(src: usize, rows: i32, cols: i32, dst: usize, stride: i32): void {
  memory.fill(dst, 0, (<usize>(cols * stride)) << 2);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(at(dst, c * stride + r), load<f32>(at(src, r * cols + c)));
  }
}

// The loops below keep four independent vector accumulators where they can: one accumulator is bound by the
// latency of its own additions, four keep the vector unit busy.

/** `out[j..j+4) = Σ_c x[c] · mT[c, j..j+4)` for j < `count` (rounded up to a vector), `mT` rows `stride` wide. */
function rowTimesTransposed(x: usize, mT: usize, dim: i32, count: i32, stride: i32, out: usize): void {
  const end = (count + 3) & ~3;
  let j = 0;
  for (; j + 16 <= end; j += 16) {
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let c = 0; c < dim; c++) {
      const s = f32x4.splat(load<f32>(at(x, c)));
      const row = at(mT, c * stride + j);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(s, v128.load(row, 48)));
    }
    v128.store(at(out, j), a0);
    v128.store(at(out, j), a1, 16);
    v128.store(at(out, j), a2, 32);
    v128.store(at(out, j), a3, 48);
  }
  for (; j < end; j += 4) {
    let acc = f32x4.splat(0);
    for (let c = 0; c < dim; c++) {
      acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(at(x, c))), v128.load(at(mT, c * stride + j))));
    }
    v128.store(at(out, j), acc);
  }
}

/** `out[0..dim) = Σ_{j < count} w[j] · m[j, 0..dim)` for a row-major `m` with `dim` columns. */
function weightedRowSum(w: usize, m: usize, dim: i32, count: i32, out: usize): void {
  let c = 0;
  for (; c + 16 <= dim; c += 16) {
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let j = 0; j < count; j++) {
      const s = f32x4.splat(load<f32>(at(w, j)));
      const row = at(m, j * dim + c);
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(row)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(row, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(row, 32)));
      a3 = f32x4.add(a3, f32x4.mul(s, v128.load(row, 48)));
    }
    v128.store(at(out, c), a0);
    v128.store(at(out, c), a1, 16);
    v128.store(at(out, c), a2, 32);
    v128.store(at(out, c), a3, 48);
  }
  for (; c < dim; c += 4) {
    let acc = f32x4.splat(0);
    for (let j = 0; j < count; j++) {
      acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(at(w, j))), v128.load(at(m, j * dim + c))));
    }
    v128.store(at(out, c), acc);
  }
}

/**
 * e^x per lane for x ≤ 0 (Cephes' expf: x = n·ln 2 + r, a degree-5 polynomial in r, 2ⁿ through the exponent
 * bits), within 2 ulp; below −87 (where e^x leaves the normal floats) the result is 0.
 */
function expNonPositive(x: v128): v128 {
  const tiny = f32x4.lt(x, f32x4.splat(-87.0));
  const clamped = f32x4.max(x, f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(clamped, f32x4.splat(<f32>Math.LOG2E)));
  let r = f32x4.sub(clamped, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.1219444e-4)));
  let y = f32x4.splat(1.98756915e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, scale), tiny);
}

/**
 * Row `p[0..count)` of scores becomes its softmax; `p[count..stride)` becomes 0. Vectors past `count` are
 * computed and then cleared, so every loop runs on whole vectors.
 */
function softmaxRow(p: usize, count: i32, stride: i32): void {
  const end = (count + 3) & ~3;
  for (let j = count; j < end; j++) store<f32>(at(p, j), -Infinity);
  let maxes = f32x4.splat(-Infinity);
  for (let j = 0; j < end; j += 4) maxes = f32x4.max(maxes, v128.load(at(p, j)));
  const max = f32x4.splat(
    Mathf.max(
      Mathf.max(f32x4.extract_lane(maxes, 0), f32x4.extract_lane(maxes, 1)),
      Mathf.max(f32x4.extract_lane(maxes, 2), f32x4.extract_lane(maxes, 3)),
    ),
  );
  let sums = f32x4.splat(0);
  for (let j = 0; j < end; j += 4) {
    const e = expNonPositive(f32x4.sub(v128.load(at(p, j)), max));
    v128.store(at(p, j), e);
    sums = f32x4.add(sums, e);
  }
  const sum =
    f32x4.extract_lane(sums, 0) +
    f32x4.extract_lane(sums, 1) +
    f32x4.extract_lane(sums, 2) +
    f32x4.extract_lane(sums, 3);
  const inverse = f32x4.splat(1 / sum);
  for (let j = 0; j < end; j += 4) v128.store(at(p, j), f32x4.mul(v128.load(at(p, j)), inverse));
  memory.fill(at(p, end), 0, (<usize>(stride - end)) << 2);
}

/**
 * `out = softmax(q·kᵀ, masked to each row's visible prefix)·v` per block, and the probabilities `probs`
 * (`[blocks, rows, paddedKeys(keys)]`, zero where masked) for the backward pass.
 */
export function attentionForward(
  blocks: i32,
  rows: i32,
  keys: i32,
  dim: i32,
  q: usize,
  k: usize,
  v: usize,
  visible: usize,
  out: usize,
  probs: usize,
  scratch: usize,
): void {
  const stride = paddedKeys(keys);
  for (let b = 0; b < blocks; b++) {
    const qb = at(q, b * rows * dim);
    const vb = at(v, b * keys * dim);
    const ob = at(out, b * rows * dim);
    const pb = at(probs, b * rows * stride);
    transposeInto(at(k, b * keys * dim), keys, dim, scratch, stride);
    for (let r = 0; r < rows; r++) {
      const n = load<i32>(at(visible, b * rows + r));
      const p = at(pb, r * stride);
      rowTimesTransposed(at(qb, r * dim), scratch, dim, n, stride, p);
      softmaxRow(p, n, stride);
      weightedRowSum(p, vb, dim, n, at(ob, r * dim));
    }
  }
}

/**
 * Gradients of `attentionForward` given the output gradient `dOut`: with P the probabilities and
 * D_r = dOut_r · out_r, dS = P ⊙ (dOut·vᵀ − D), dq = dS·k, dk = dSᵀ·q, dv = Pᵀ·dOut.
 */
export function attentionBackward(
  blocks: i32,
  rows: i32,
  keys: i32,
  dim: i32,
  q: usize,
  k: usize,
  v: usize,
  visible: usize,
  out: usize,
  probs: usize,
  dOut: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  scratch: usize,
): void {
  const stride = paddedKeys(keys);
  const valuesT = scratch;
  const dScores = at(scratch, dim * stride);
  for (let b = 0; b < blocks; b++) {
    const qb = at(q, b * rows * dim);
    const kb = at(k, b * keys * dim);
    const ob = at(out, b * rows * dim);
    const gb = at(dOut, b * rows * dim);
    const pb = at(probs, b * rows * stride);
    const vis = at(visible, b * rows);
    transposeInto(at(v, b * keys * dim), keys, dim, valuesT, stride);
    for (let r = 0; r < rows; r++) {
      const n = load<i32>(at(vis, r));
      const g = at(gb, r * dim);
      const o = at(ob, r * dim);
      let dot: f32 = 0;
      for (let c = 0; c < dim; c++) dot += load<f32>(at(g, c)) * load<f32>(at(o, c));
      const shift = f32x4.splat(dot);
      const ds = at(dScores, r * stride);
      const p = at(pb, r * stride);
      rowTimesTransposed(g, valuesT, dim, n, stride, ds);
      for (let j = 0; j < n; j += 4) {
        v128.store(at(ds, j), f32x4.mul(v128.load(at(p, j)), f32x4.sub(v128.load(at(ds, j)), shift)));
      }
      weightedRowSum(ds, kb, dim, n, at(dq, b * rows * dim + r * dim));
    }
    // Key-major: each key's gradients sum over the rows that see it, accumulated in registers.
    for (let j = 0; j < keys; j++) {
      const dkj = at(dk, b * keys * dim + j * dim);
      const dvj = at(dv, b * keys * dim + j * dim);
      let c = 0;
      for (; c + 16 <= dim; c += 16) {
        let k0 = f32x4.splat(0);
        let k1 = f32x4.splat(0);
        let k2 = f32x4.splat(0);
        let k3 = f32x4.splat(0);
        let v0 = f32x4.splat(0);
        let v1 = f32x4.splat(0);
        let v2 = f32x4.splat(0);
        let v3 = f32x4.splat(0);
        for (let r = 0; r < rows; r++) {
          if (j >= load<i32>(at(vis, r))) continue;
          const s = f32x4.splat(load<f32>(at(dScores, r * stride + j)));
          const w = f32x4.splat(load<f32>(at(pb, r * stride + j)));
          const qr = at(qb, r * dim + c);
          const gr = at(gb, r * dim + c);
          k0 = f32x4.add(k0, f32x4.mul(s, v128.load(qr)));
          k1 = f32x4.add(k1, f32x4.mul(s, v128.load(qr, 16)));
          k2 = f32x4.add(k2, f32x4.mul(s, v128.load(qr, 32)));
          k3 = f32x4.add(k3, f32x4.mul(s, v128.load(qr, 48)));
          v0 = f32x4.add(v0, f32x4.mul(w, v128.load(gr)));
          v1 = f32x4.add(v1, f32x4.mul(w, v128.load(gr, 16)));
          v2 = f32x4.add(v2, f32x4.mul(w, v128.load(gr, 32)));
          v3 = f32x4.add(v3, f32x4.mul(w, v128.load(gr, 48)));
        }
        v128.store(at(dkj, c), k0);
        v128.store(at(dkj, c), k1, 16);
        v128.store(at(dkj, c), k2, 32);
        v128.store(at(dkj, c), k3, 48);
        v128.store(at(dvj, c), v0);
        v128.store(at(dvj, c), v1, 16);
        v128.store(at(dvj, c), v2, 32);
        v128.store(at(dvj, c), v3, 48);
      }
      for (; c < dim; c += 4) {
        let accK = f32x4.splat(0);
        let accV = f32x4.splat(0);
        for (let r = 0; r < rows; r++) {
          if (j >= load<i32>(at(vis, r))) continue;
          const s = f32x4.splat(load<f32>(at(dScores, r * stride + j)));
          const w = f32x4.splat(load<f32>(at(pb, r * stride + j)));
          accK = f32x4.add(accK, f32x4.mul(s, v128.load(at(qb, r * dim + c))));
          accV = f32x4.add(accV, f32x4.mul(w, v128.load(at(gb, r * dim + c))));
        }
        v128.store(at(dkj, c), accK);
        v128.store(at(dvj, c), accV);
      }
    }
  }
}
