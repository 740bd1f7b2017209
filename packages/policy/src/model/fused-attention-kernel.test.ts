import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  compileAttentionKernel,
  KERNEL_MODULE,
  kernelModuleText,
} from "../../scripts/build-attention-kernel.mjs";
import { ATTENTION_KERNEL_WASM_BASE64 } from "./attention-kernel-wasm";
import {
  type AttentionBlocksShape,
  type AttentionInputs,
  FusedAttentionKernel,
  KERNEL_HEAP_START,
} from "./fused-attention-kernel";
import { Prng } from "./prng";

/** Float64 attention over prefix masks, forward and the analytic backward, index by index. */
function referenceAttention(shape: AttentionBlocksShape, x: AttentionInputs, dOut: Float64Array) {
  const { blocks, rows, keys, dim } = shape;
  const out = new Float64Array(blocks * rows * dim);
  const dq = new Float64Array(blocks * rows * dim);
  const dk = new Float64Array(blocks * keys * dim);
  const dv = new Float64Array(blocks * keys * dim);
  for (let b = 0; b < blocks; b++) {
    for (let r = 0; r < rows; r++) {
      const n = x.visible[b * rows + r]!;
      const qi = (b * rows + r) * dim;
      const scores = Array.from({ length: n }, (_, j) => {
        let s = 0;
        for (let c = 0; c < dim; c++) s += x.q[qi + c]! * x.k[(b * keys + j) * dim + c]!;
        return s;
      });
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const sum = e.reduce((a, v) => a + v, 0);
      const p = e.map((v) => v / sum);
      const dP = p.map((_, j) => {
        let s = 0;
        for (let c = 0; c < dim; c++) s += dOut[qi + c]! * x.v[(b * keys + j) * dim + c]!;
        return s;
      });
      const shift = p.reduce((a, pj, j) => a + pj * dP[j]!, 0);
      for (let j = 0; j < n; j++) {
        const kj = (b * keys + j) * dim;
        const dS = p[j]! * (dP[j]! - shift);
        for (let c = 0; c < dim; c++) {
          out[qi + c] = out[qi + c]! + p[j]! * x.v[kj + c]!;
          dq[qi + c] = dq[qi + c]! + dS * x.k[kj + c]!;
          dk[kj + c] = dk[kj + c]! + dS * x.q[qi + c]!;
          dv[kj + c] = dv[kj + c]! + p[j]! * dOut[qi + c]!;
        }
      }
    }
  }
  return { out, dq, dk, dv };
}

function randomCase(shape: AttentionBlocksShape, seed: number, visibleOf: (b: number, r: number) => number) {
  const prng = new Prng(seed);
  const draw = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (prng.next() * 2 - 1) * scale);
  const { blocks, rows, keys, dim } = shape;
  const inputs: AttentionInputs = {
    q: draw(blocks * rows * dim, 2),
    k: draw(blocks * keys * dim, 2),
    v: draw(blocks * keys * dim, 1),
    visible: Int32Array.from({ length: blocks * rows }, (_, i) => visibleOf(Math.floor(i / rows), i % rows)),
  };
  return { inputs, dOut: draw(blocks * rows * dim, 1) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const kernel = FusedAttentionKernel.load();

describe("FusedAttentionKernel", () => {
  it("loads on this engine (WebAssembly SIMD)", () => {
    expect(kernel).not.toBeNull();
  });

  it.each([
    // The training case's block (G = 2 query heads per key head, causal), a head of 12, keys not a multiple of 4.
    { blocks: 3, rows: 32, keys: 16, dim: 16, group: 2 },
    { blocks: 2, rows: 21, keys: 7, dim: 12, group: 3 },
    { blocks: 4, rows: 9, keys: 9, dim: 4, group: 1 },
    { blocks: 1, rows: 10, keys: 5, dim: 8, group: 2 },
  ])("matches the float64 reference, forward and backward, for causal padding masks: %o", (c) => {
    const shape = { blocks: c.blocks, rows: c.rows, keys: c.keys, dim: c.dim };
    // Block b's sequence has length keys − b (at least 1): position i sees min(i + 1, length) keys.
    const { inputs, dOut } = randomCase(shape, 1 + c.dim, (b, r) =>
      Math.min(Math.floor(r / c.group) + 1, Math.max(1, c.keys - b)),
    );
    const forward = kernel!.forward(shape, inputs);
    const grads = kernel!.backward(shape, inputs, forward, dOut);
    const reference = referenceAttention(shape, inputs, Float64Array.from(dOut));
    expect(maxAbsDiff(forward.out, reference.out)).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads.dq, reference.dq)).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads.dk, reference.dk)).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads.dv, reference.dv)).toBeLessThan(1e-5);
    // Each probability row sums to one over the keys it sees and is exactly zero past them.
    const stride = Math.ceil(shape.keys / 4) * 4;
    for (let row = 0; row < shape.blocks * shape.rows; row++) {
      const p = forward.probs.subarray(row * stride, (row + 1) * stride);
      const n = inputs.visible[row]!;
      expect(p.subarray(0, n).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
      expect(Array.from(p.subarray(n)).every((v) => v === 0)).toBe(true);
    }
  });

  it("agrees with arbitrary prefixes and with large scores (no overflow in the softmax)", () => {
    const shape = { blocks: 2, rows: 13, keys: 11, dim: 8 };
    const prng = new Prng(5);
    const { inputs, dOut } = randomCase(shape, 9, () => 1 + Math.floor(prng.next() * 11));
    for (let i = 0; i < inputs.q.length; i++) inputs.q[i] = inputs.q[i]! * 40;
    const forward = kernel!.forward(shape, inputs);
    const grads = kernel!.backward(shape, inputs, forward, dOut);
    const reference = referenceAttention(shape, inputs, Float64Array.from(dOut));
    expect(forward.out.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(forward.out, reference.out)).toBeLessThan(1e-4);
    expect(maxAbsDiff(grads.dq, reference.dq)).toBeLessThan(1e-3);
    expect(maxAbsDiff(grads.dk, reference.dk)).toBeLessThan(1e-3);
    expect(maxAbsDiff(grads.dv, reference.dv)).toBeLessThan(1e-4);
  });

  it("has a reference whose backward matches finite differences of its forward", () => {
    const shape = { blocks: 1, rows: 4, keys: 3, dim: 4 };
    const { inputs, dOut } = randomCase(shape, 3, (_, r) => Math.min(r + 1, 3));
    const weights = Float64Array.from(dOut);
    const objective = (x: AttentionInputs) =>
      referenceAttention(shape, x, weights).out.reduce((a, v, i) => a + v * weights[i]!, 0);
    const analytic = referenceAttention(shape, inputs, weights);
    const h = 1e-3;
    for (const [name, grad] of [
      ["q", analytic.dq],
      ["k", analytic.dk],
      ["v", analytic.dv],
    ] as const) {
      for (let i = 0; i < grad.length; i++) {
        // Float64 copies: the reference reads whatever array it is given.
        const at = (delta: number) => {
          const x = { ...inputs, [name]: Float64Array.from(inputs[name]) } as unknown as AttentionInputs;
          (x[name] as unknown as Float64Array)[i]! += delta;
          return objective(x);
        };
        expect(Math.abs((at(h) - at(-h)) / (2 * h) - grad[i]!), `${name}[${i}]`).toBeLessThan(1e-6);
      }
    }
  });

  it("refuses what it cannot run: columns not in whole vectors, rows that see no key or too many", () => {
    const shape = { blocks: 1, rows: 2, keys: 3, dim: 8 };
    expect(FusedAttentionKernel.supports(shape, Int32Array.from([1, 3]))).toBe(true);
    expect(FusedAttentionKernel.supports({ ...shape, dim: 6 }, Int32Array.from([1, 3]))).toBe(false);
    expect(FusedAttentionKernel.supports(shape, Int32Array.from([0, 3]))).toBe(false);
    expect(FusedAttentionKernel.supports(shape, Int32Array.from([1, 4]))).toBe(false);
    expect(FusedAttentionKernel.supports(shape, Int32Array.from([1]))).toBe(false);
    const { inputs } = randomCase(shape, 2, () => 0);
    expect(() => kernel!.forward(shape, inputs)).toThrow(/do not fit/);
  });

  it("runs batches larger than one call's memory in several calls, with the same results", () => {
    const shape = { blocks: 7, rows: 12, keys: 6, dim: 8 };
    const { inputs, dOut } = randomCase(shape, 8, (_, r) => Math.floor(r / 2) + 1);
    // Room for about two blocks per call: four calls.
    const chunked = FusedAttentionKernel.compile({
      maxCallBytes: 2 * 4 * (12 * 8 * 5 + 6 * 8 * 4 + 12 + 12 * 8),
    });
    const whole = kernel!.forward(shape, inputs);
    const parts = chunked.forward(shape, inputs);
    expect(Array.from(parts.out)).toEqual(Array.from(whole.out));
    expect(Array.from(parts.probs)).toEqual(Array.from(whole.probs));
    const wholeGrads = kernel!.backward(shape, inputs, whole, dOut);
    const partGrads = chunked.backward(shape, inputs, parts, dOut);
    for (const name of ["dq", "dk", "dv"] as const) {
      expect(Array.from(partGrads[name]), name).toEqual(Array.from(wholeGrads[name]));
    }
  });

  it("grows its memory for large batches and gives the same answer after", () => {
    const small = { blocks: 1, rows: 8, keys: 8, dim: 8 };
    const { inputs } = randomCase(small, 4, (_, r) => r + 1);
    const before = kernel!.forward(small, inputs).out;
    const large = { blocks: 64, rows: 256, keys: 128, dim: 16 };
    const big = randomCase(large, 6, (_, r) => Math.floor(r / 2) + 1);
    expect(kernel!.forward(large, big.inputs).out.every(Number.isFinite)).toBe(true);
    expect(Array.from(kernel!.forward(small, inputs).out)).toEqual(Array.from(before));
  });
});

describe("the committed kernel module", () => {
  it("is what the build script makes of assembly/attention.ts", async () => {
    const expected = kernelModuleText(await compileAttentionKernel());
    expect(await readFile(KERNEL_MODULE, "utf8")).toBe(expected);
  }, 60_000);

  it("keeps the module's static data below the buffers the host places", () => {
    const bytes = Buffer.from(ATTENTION_KERNEL_WASM_BASE64, "base64");
    const { sections, dataEnds } = readSections(bytes);
    expect(sections).toContain(10); // the code section: the walk above read the whole module
    for (const end of dataEnds) expect(end).toBeLessThanOrEqual(KERNEL_HEAP_START);
  });
});

/** A wasm module's section ids and the end offsets of its active data segments (section 11). */
function readSections(bytes: Uint8Array): { sections: number[]; dataEnds: number[] } {
  let at = 8;
  const unsigned = () => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++]!;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const signed = () => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++]!;
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return shift < 32 && byte & 0x40 ? result | (-1 << shift) : result;
  };
  const ends: number[] = [];
  const sections: number[] = [];
  while (at < bytes.length) {
    const id = bytes[at++]!;
    sections.push(id);
    const size = unsigned();
    const end = at + size;
    if (id === 11) {
      const count = unsigned();
      for (let i = 0; i < count; i++) {
        expect(unsigned(), "active segment of memory 0").toBe(0);
        expect(bytes[at++], "i32.const offset").toBe(0x41);
        const offset = signed();
        expect(bytes[at++], "end of the offset expression").toBe(0x0b);
        const length = unsigned();
        ends.push(offset + length);
        at += length;
      }
    }
    at = end;
  }
  return { sections, dataEnds: ends };
}
