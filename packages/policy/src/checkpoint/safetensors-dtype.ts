/**
 * The element types this reader/writer handles, under their safetensors names. F16 and BF16 have no native
 * typed array in Node 20, so they are carried as their raw 16-bit patterns in a `Uint16Array`; BOOL is one
 * byte per element (0 or 1), as PyTorch stores it.
 */
export const SAFETENSORS_DTYPES = [
  "F64",
  "F32",
  "F16",
  "BF16",
  "I64",
  "I32",
  "I16",
  "I8",
  "U64",
  "U32",
  "U16",
  "U8",
  "BOOL",
] as const;

/** A safetensors element type name (`"F32"`, `"BF16"`, …). */
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The typed array that holds each dtype's elements (raw bit patterns for F16/BF16). */
export interface SafetensorsArrayOf {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/**
 * One tensor as stored in a safetensors file: its dtype, its shape (row-major) and its elements.
 * The union is discriminated on `dtype`, so `data` has the matching typed array type.
 */
export type SafetensorsTensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: readonly number[]; data: SafetensorsArrayOf[D] };
}[SafetensorsDtype];

/** A typed array constructor as used to view or allocate a dtype's elements. */
type ArrayConstructorOf<D extends SafetensorsDtype> = {
  new (length: number): SafetensorsArrayOf[D];
  new (buffer: ArrayBuffer, byteOffset: number, length: number): SafetensorsArrayOf[D];
  readonly BYTES_PER_ELEMENT: number;
};

interface DtypeInfo<D extends SafetensorsDtype> {
  readonly itemSize: number;
  readonly arrayType: ArrayConstructorOf<D>;
  /**
   * Position in the Rust `Dtype` enum. The reference writer lays tensors out by descending rank, then by
   * name, which keeps every tensor aligned to its element size; we reproduce that order byte for byte.
   */
  readonly rank: number;
}

const DTYPE_INFO: { [D in SafetensorsDtype]: DtypeInfo<D> } = {
  BOOL: { itemSize: 1, arrayType: Uint8Array, rank: 0 },
  U8: { itemSize: 1, arrayType: Uint8Array, rank: 1 },
  I8: { itemSize: 1, arrayType: Int8Array, rank: 2 },
  I16: { itemSize: 2, arrayType: Int16Array, rank: 3 },
  U16: { itemSize: 2, arrayType: Uint16Array, rank: 4 },
  F16: { itemSize: 2, arrayType: Uint16Array, rank: 5 },
  BF16: { itemSize: 2, arrayType: Uint16Array, rank: 6 },
  I32: { itemSize: 4, arrayType: Int32Array, rank: 7 },
  U32: { itemSize: 4, arrayType: Uint32Array, rank: 8 },
  F32: { itemSize: 4, arrayType: Float32Array, rank: 9 },
  F64: { itemSize: 8, arrayType: Float64Array, rank: 10 },
  I64: { itemSize: 8, arrayType: BigInt64Array, rank: 11 },
  U64: { itemSize: 8, arrayType: BigUint64Array, rank: 12 },
};

/** True when `value` names a dtype this module handles. */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.hasOwn(DTYPE_INFO, value);
}

/** Bytes per element of `dtype`. */
export function itemSizeOf(dtype: SafetensorsDtype): number {
  return DTYPE_INFO[dtype].itemSize;
}

/** Layout rank of `dtype` (higher is written first). */
export function layoutRankOf(dtype: SafetensorsDtype): number {
  return DTYPE_INFO[dtype].rank;
}

/** The typed array constructor holding `dtype`'s elements. */
export function arrayTypeOf<D extends SafetensorsDtype>(dtype: D): ArrayConstructorOf<D> {
  return DTYPE_INFO[dtype].arrayType;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Shape as safetensors and the error messages print it: `[64, 64]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Typed arrays use the host's byte order and safetensors is little-endian; every host Node supports in
 * practice is little-endian, so rather than byte-swapping untestable code paths we refuse the rest.
 */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
