import { PolicyError } from "../policy-error";
import type { SafetensorsTensor } from "./safetensors-dtype";

/**
 * The float32 bit pattern of every float16 bit pattern. Exact (every float16 is a float32), 256 KiB, built
 * on first use; working on bit patterns keeps NaN payloads, which a round trip through a JS number may not.
 */
let halfToSingleBits: Uint32Array | undefined;

function halfToSingleTable(): Uint32Array {
  if (halfToSingleBits !== undefined) return halfToSingleBits;
  const table = new Uint32Array(65536);
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0x1f) {
      // Infinity (mantissa 0) or NaN: the 10 payload bits move to the top of float32's 23.
      table[h] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    } else if (exponent === 0) {
      // Zero or subnormal: mantissa · 2^-24, exact in float32.
      scratch[0] = mantissa * 2 ** -24;
      table[h] = (sign | scratchBits[0]!) >>> 0;
    } else {
      table[h] = (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
    }
  }
  halfToSingleBits = table;
  return table;
}

/** Decodes float16 bit patterns to float32 (exact: subnormals, ±0, ±Infinity and NaN payloads kept). */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const table = halfToSingleTable();
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = table[bits[i]!]!;
  return out;
}

/** Decodes bfloat16 bit patterns to float32 (exact: bfloat16 is the top half of a float32). */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  return out;
}

/**
 * Rounds float32 values to bfloat16 bit patterns, to nearest with ties to even (as PyTorch's
 * `tensor.to(torch.bfloat16)`); values past the largest bfloat16 become ±Infinity and NaN stays a quiet NaN
 * with its sign and top payload bits.
 */
export function float32ToBfloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x007fffff) !== 0) {
      out[i] = (b >>> 16) | 0x0040;
    } else {
      out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

/**
 * Rounds float32 values to float16 bit patterns, to nearest with ties to even (as PyTorch's
 * `tensor.to(torch.float16)`): magnitudes from 65520 up become ±Infinity, tiny ones become float16
 * subnormals or ±0, and NaN stays a quiet NaN with its sign and top payload bits.
 */
export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    const sign = (b >>> 16) & 0x8000;
    const exponent = (b >>> 23) & 0xff;
    const mantissa = b & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
    } else if (exponent < 113) {
      // Below float16's smallest normal (2^-14): |x| · 2^24 counts float16 subnormal steps, and is exact
      // in a double, so rounding it is exact. A result of 1024 is the smallest normal, 0x0400, as it should be.
      out[i] = sign | roundHalfEven(Math.abs(values[i]!) * 2 ** 24);
    } else {
      const kept = mantissa >>> 13;
      const dropped = mantissa & 0x1fff;
      const roundUp = dropped > 0x1000 || (dropped === 0x1000 && (kept & 1) === 1) ? 1 : 0;
      // A carry out of the mantissa lands in the exponent, which is the right next value.
      const magnitude = ((exponent - 127 + 15) << 10) + kept + roundUp;
      out[i] = sign | Math.min(magnitude, 0x7c00);
    }
  }
  return out;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/**
 * A floating tensor's elements as float32: F32 is returned as is (no copy), F16 and BF16 are widened
 * exactly, F64 is rounded to nearest (ties to even).
 *
 * @throws PolicyError for integer and boolean dtypes, which are not weights.
 */
export function toFloat32(tensor: SafetensorsTensor): Float32Array {
  switch (tensor.dtype) {
    case "F32":
      return tensor.data;
    case "F16":
      return float16BitsToFloat32(tensor.data);
    case "BF16":
      return bfloat16BitsToFloat32(tensor.data);
    case "F64":
      return Float32Array.from(tensor.data);
    default:
      throw new PolicyError(
        `cannot read a ${tensor.dtype} tensor as float32; only F32, F16, BF16 and F64 tensors hold weights`,
      );
  }
}

/**
 * Rounds float32 values to a 16-bit float dtype's bit patterns (ties to even), ready for
 * `{ dtype, shape, data }` in `encodeSafetensors`.
 *
 * @throws PolicyError when `dtype` is not "F16" or "BF16".
 */
export function fromFloat32(data: Float32Array, dtype: "F16" | "BF16"): Uint16Array {
  if (!(data instanceof Float32Array)) throw new PolicyError("fromFloat32 expects a Float32Array");
  if (dtype === "F16") return float32ToFloat16Bits(data);
  if (dtype === "BF16") return float32ToBfloat16Bits(data);
  throw new PolicyError(`fromFloat32 converts to "F16" or "BF16", not ${JSON.stringify(dtype)}`);
}
