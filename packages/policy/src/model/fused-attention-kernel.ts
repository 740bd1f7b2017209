import { ATTENTION_KERNEL_WASM_BASE64 } from "./attention-kernel-wasm";

/** The sizes of a batch of attention blocks: `blocks` × (`rows` queries over `keys` keys), `dim` columns each. */
export interface AttentionBlocksShape {
  blocks: number;
  rows: number;
  keys: number;
  dim: number;
}

/** The forward pass's inputs as plain data, row-major; `visible[b·rows + r]` is the key prefix row r sees. */
export interface AttentionInputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  visible: Int32Array;
}

/** What the forward pass returns and the backward pass needs: the output and the probabilities (padded rows). */
export interface AttentionForwardResult {
  out: Float32Array;
  probs: Float32Array;
}

export interface AttentionGradients {
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
}

// The project's TypeScript libs (ES2022, no DOM) do not declare the WebAssembly API; the part used here:
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  paddedKeys(keys: number): number;
  scratchBytes(rows: number, keys: number, dim: number): number;
  attentionForward(...args: number[]): void;
  attentionBackward(...args: number[]): void;
}

/** The module's own static data (the exp table) lives in its first page; buffers start after it. */
export const KERNEL_HEAP_START = 65_536;
const PAGE = 65_536;
const DEFAULT_MAX_CALL_BYTES = 256 * 2 ** 20;

/**
 * Views of blocks `[first, first + count)`: of a per-query array with `width` values per query row, and of the
 * forward inputs.
 */
function blockRange(shape: AttentionBlocksShape, first: number, count: number) {
  const { rows, keys, dim } = shape;
  const perQuery = <T extends Float32Array | Int32Array>(data: T, width: number): T =>
    data.subarray(first * rows * width, (first + count) * rows * width) as T;
  const perKey = (data: Float32Array): Float32Array =>
    data.subarray(first * keys * dim, (first + count) * keys * dim);
  return {
    perQuery,
    /** q, k, v and the visible key counts of these blocks: the first four buffers of both kernel calls. */
    inputs: (x: AttentionInputs) => [perQuery(x.q, dim), perKey(x.k), perKey(x.v), perQuery(x.visible, 1)],
  };
}

/**
 * The fused attention kernel (assembly/attention.ts, compiled to WebAssembly with 128-bit SIMD): a block's
 * scores, masked softmax and weighted values in one pass over each query row, and its backward in two, skipping
 * the keys a row does not see (half of a causal block). On the wasm backend this replaces, per block, the 2-D
 * matMuls, softmax, mask add and their gradients (a dozen tfjs kernel calls, ~64 blocks a layer) with one call
 * for all blocks. Plain data in and out: the caller copies tensors in and wraps the results.
 */
export class FusedAttentionKernel {
  private static instance: FusedAttentionKernel | null | undefined;

  private constructor(
    private readonly exports: KernelExports,
    /** The most memory one kernel call's buffers may take; larger batches run in several calls. */
    private readonly maxCallBytes: number,
  ) {}

  /** The shared kernel, or null where the engine cannot compile it (no WebAssembly SIMD). */
  static load(): FusedAttentionKernel | null {
    if (FusedAttentionKernel.instance === undefined) {
      try {
        FusedAttentionKernel.instance = FusedAttentionKernel.compile();
      } catch {
        FusedAttentionKernel.instance = null;
      }
    }
    return FusedAttentionKernel.instance;
  }

  /**
   * A new kernel with its own memory; `maxCallBytes` bounds the buffers of one call (default 256 MiB: bigger
   * batches run in several calls). Throws where the engine cannot compile it.
   */
  static compile(options: { maxCallBytes?: number } = {}): FusedAttentionKernel {
    const module = new WebAssembly.Module(Buffer.from(ATTENTION_KERNEL_WASM_BASE64, "base64"));
    const exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    return new FusedAttentionKernel(exports, options.maxCallBytes ?? DEFAULT_MAX_CALL_BYTES);
  }

  /** Whether blocks of this shape and visibility can run here: whole vectors of columns, 1..keys keys per row. */
  static supports(shape: AttentionBlocksShape, visible: Int32Array): boolean {
    if (shape.dim % 4 !== 0 || visible.length !== shape.blocks * shape.rows) return false;
    for (const n of visible) if (n < 1 || n > shape.keys) return false;
    return true;
  }

  /** The attention output `[blocks, rows, dim]` and the probabilities its backward needs. */
  forward(shape: AttentionBlocksShape, inputs: AttentionInputs): AttentionForwardResult {
    this.check(shape, inputs);
    const { rows, keys, dim } = shape;
    const stride = this.exports.paddedKeys(keys);
    const out = new Float32Array(shape.blocks * rows * dim);
    const probs = new Float32Array(shape.blocks * rows * stride);
    this.inChunks(
      shape,
      4 * (rows * dim + 2 * keys * dim + rows + rows * dim + rows * stride),
      (first, blocks) => {
        const range = blockRange(shape, first, blocks);
        const offsets = this.place([
          ...range.inputs(inputs),
          blocks * rows * dim,
          blocks * rows * stride,
          this.exports.scratchBytes(rows, keys, dim) / 4,
        ]);
        this.exports.attentionForward(blocks, rows, keys, dim, ...offsets);
        const [, , , , outAt, probsAt] = offsets;
        out.set(this.view(outAt!, blocks * rows * dim), first * rows * dim);
        probs.set(this.view(probsAt!, blocks * rows * stride), first * rows * stride);
      },
    );
    return { out, probs };
  }

  /** The gradients of q, k and v given the output's gradient `dOut` and what `forward` returned for `inputs`. */
  backward(
    shape: AttentionBlocksShape,
    inputs: AttentionInputs,
    forward: AttentionForwardResult,
    dOut: Float32Array,
  ): AttentionGradients {
    this.check(shape, inputs);
    const { rows, keys, dim } = shape;
    const stride = this.exports.paddedKeys(keys);
    if (dOut.length !== inputs.q.length || forward.out.length !== inputs.q.length) {
      throw new Error(
        `fused attention backward: output or its gradient does not fit ${JSON.stringify(shape)}`,
      );
    }
    const dq = new Float32Array(inputs.q.length);
    const dk = new Float32Array(inputs.k.length);
    const dv = new Float32Array(inputs.v.length);
    const perBlockBytes = 4 * (5 * rows * dim + 4 * keys * dim + rows + rows * stride);
    this.inChunks(shape, perBlockBytes, (first, blocks) => {
      const range = blockRange(shape, first, blocks);
      const offsets = this.place([
        ...range.inputs(inputs),
        range.perQuery(forward.out, dim),
        range.perQuery(forward.probs, stride),
        range.perQuery(dOut, dim),
        blocks * rows * dim,
        blocks * keys * dim,
        blocks * keys * dim,
        this.exports.scratchBytes(rows, keys, dim) / 4,
      ]);
      this.exports.attentionBackward(blocks, rows, keys, dim, ...offsets);
      const [, , , , , , , dqAt, dkAt, dvAt] = offsets;
      dq.set(this.view(dqAt!, blocks * rows * dim), first * rows * dim);
      dk.set(this.view(dkAt!, blocks * keys * dim), first * keys * dim);
      dv.set(this.view(dvAt!, blocks * keys * dim), first * keys * dim);
    });
    return { dq, dk, dv };
  }

  /**
   * Runs `call(first, count)` over consecutive ranges of blocks small enough that one range's buffers take at most
   * `maxCallBytes` of the module's memory (which never shrinks, and holds 4 GiB at most).
   */
  private inChunks(
    shape: AttentionBlocksShape,
    perBlockBytes: number,
    call: (first: number, count: number) => void,
  ): void {
    const perCall = Math.max(1, Math.floor(this.maxCallBytes / perBlockBytes));
    for (let first = 0; first < shape.blocks; first += perCall)
      call(first, Math.min(perCall, shape.blocks - first));
  }

  private check(shape: AttentionBlocksShape, inputs: AttentionInputs): void {
    const { blocks, rows, keys, dim } = shape;
    if (
      inputs.q.length !== blocks * rows * dim ||
      inputs.k.length !== blocks * keys * dim ||
      inputs.v.length !== blocks * keys * dim ||
      !FusedAttentionKernel.supports(shape, inputs.visible)
    ) {
      throw new Error(`fused attention: inputs do not fit ${JSON.stringify(shape)}`);
    }
  }

  /**
   * Lays out consecutive 16-byte-aligned buffers from `KERNEL_HEAP_START`, growing memory to fit: arrays are copied
   * in, numbers reserve that many floats. Returns their byte offsets.
   */
  private place(buffers: readonly (Float32Array | Int32Array | number)[]): number[] {
    let end = KERNEL_HEAP_START;
    const offsets = buffers.map((buffer) => {
      const start = end;
      end += Math.ceil(((typeof buffer === "number" ? buffer : buffer.length) * 4) / 16) * 16;
      return start;
    });
    const memory = this.exports.memory;
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    buffers.forEach((buffer, i) => {
      if (typeof buffer === "number") return;
      const View = buffer instanceof Int32Array ? Int32Array : Float32Array;
      new View(memory.buffer, offsets[i]!, buffer.length).set(buffer);
    });
    return offsets;
  }

  private view(offset: number, count: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, offset, count);
  }
}
