import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  fromFloat32,
  toFloat32,
} from "./float-conversion";

const f32FromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer);
const bitsOf = (values: Float32Array) => [
  ...new Uint32Array(values.buffer, values.byteOffset, values.length),
];
const allSixteenBitPatterns = Uint16Array.from({ length: 65536 }, (_, i) => i);

/** IEEE binary16 decoded by the textbook formula, independently of the table in the implementation. */
function halfReference(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : Number.NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

describe("float16 ↔ float32", () => {
  it("decodes all 65536 float16 patterns exactly (subnormals, ±0, ±Inf, NaN)", () => {
    const decoded = float16BitsToFloat32(allSixteenBitPatterns);
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const expected = halfReference(h);
      const ok = Number.isNaN(expected) ? Number.isNaN(decoded[h]) : Object.is(decoded[h], expected);
      if (!ok) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it("re-encodes every float16 to itself, and quiet NaN payloads bit for bit", () => {
    const back = float32ToFloat16Bits(float16BitsToFloat32(allSixteenBitPatterns));
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const isNanPattern = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      // A signalling NaN comes back quieted (bit 9 set), as on hardware; everything else is exact.
      if (back[h] !== (isNanPattern ? h | 0x200 : h)) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it("rounds to nearest, ties to even, at the edges", () => {
    const cases: [number, number][] = [
      [65504, 0x7bff], // largest finite half
      [65519.99, 0x7bff], // below the midpoint 65520 between 65504 and 65536
      [65520, 0x7c00], // the midpoint: ties to even, which is the (infinite) 0x7c00
      [1e10, 0x7c00],
      [-1e10, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and 1+2^-10: even is 1.0
      [1 + 3 * 2 ** -11, 0x3c02], // halfway between 0x3c01 and 0x3c02: even is 0x3c02
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway between 0 and 2^-24: even is 0
      [2 ** -25 * 1.5, 0x0001],
      [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 steps: even is 2
      [1023.5 * 2 ** -24, 0x0400], // halfway between largest subnormal 0x03ff and smallest normal 0x0400
      [2 ** -14, 0x0400], // smallest normal
      [-0, 0x8000],
      [1e-30, 0x0000], // far below: 0
      [-1e-45, 0x8000], // a float32 subnormal: -0
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    const out = float32ToFloat16Bits(Float32Array.from(cases, ([x]) => x));
    expect([...out].map((h) => h.toString(16))).toEqual(cases.map(([, h]) => h.toString(16)));
  });

  it("maps NaN to a quiet NaN with its sign and top payload bits", () => {
    const out = float32ToFloat16Bits(
      new Float32Array(new Uint32Array([0x7fc00000, 0xff800001, 0x7fffe000]).buffer),
    );
    expect([...out]).toEqual([0x7e00, 0xfe00, 0x7fff]);
  });

  it("matches a float64 reference rounding on random float32 values", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        const h = float32ToFloat16Bits(new Float32Array([x]))[0]!;
        // Reference: the float16 grid step at x's binade is 2^(e-10) with e ≥ -14; |x|/step is exact in a
        // double, so rounding it half-to-even and scaling back is the correctly rounded value.
        const magnitude = Math.abs(x);
        let expected: number;
        if (magnitude >= 65520) expected = Infinity;
        else {
          const e = Math.max(-14, ((bitsOf(new Float32Array([x]))[0]! >>> 23) & 0xff) - 127);
          const step = 2 ** (e - 10);
          const q = magnitude / step;
          const f = Math.floor(q);
          const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
          expected = r * step;
        }
        const signed = Object.is(x, -0) || x < 0 ? -expected : expected;
        expect(Object.is(halfReference(h), signed)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("bfloat16 ↔ float32", () => {
  it("decodes every bfloat16 pattern as the top half of a float32", () => {
    const decoded = bfloat16BitsToFloat32(allSixteenBitPatterns);
    expect(bitsOf(decoded)).toEqual([...allSixteenBitPatterns].map((b) => (b << 16) >>> 0));
  });

  it("re-encodes every non-NaN bfloat16 to itself", () => {
    const back = float32ToBfloat16Bits(bfloat16BitsToFloat32(allSixteenBitPatterns));
    const wrong: number[] = [];
    for (let b = 0; b < 65536; b++) {
      const isNanPattern = (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
      if (back[b] !== (isNanPattern ? b | 0x40 : b)) wrong.push(b);
    }
    expect(wrong).toEqual([]);
  });

  it("rounds to nearest, ties to even, at the edges", () => {
    const cases: [number, number][] = [
      [0x3f808000, 0x3f80], // 1 + 2^-8: halfway between 0x3f80 and 0x3f81, even is 0x3f80
      [0x3f818000, 0x3f82], // halfway between 0x3f81 and 0x3f82, even is 0x3f82
      [0x3f808001, 0x3f81], // just above halfway
      [0x3f807fff, 0x3f80], // just below halfway
      [0x7f7fffff, 0x7f80], // float32 max rounds up to +Inf, as torch does
      [0xff7f0000, 0xff7f], // -bfloat16 max stays
      [0x7f800000, 0x7f80], // +Inf
      [0xff800000, 0xff80], // -Inf
      [0x00000001, 0x0000], // smallest float32 subnormal rounds to +0
      [0x00008000, 0x0000], // tie to even 0
      [0x00018000, 0x0002], // tie to even 2
      [0x80000000, 0x8000], // -0
      [0x7f800001, 0x7fc0], // NaN whose payload is only in the low half stays NaN
      [0xffc12345, 0xffc1], // quiet NaN keeps sign and top payload
    ];
    const input = new Float32Array(new Uint32Array(cases.map(([bits]) => bits)).buffer);
    expect([...float32ToBfloat16Bits(input)].map((h) => h.toString(16))).toEqual(
      cases.map(([, h]) => h.toString(16)),
    );
  });

  it("converts a subarray view from its own offset", () => {
    const whole = new Float32Array([9, 1, 2]);
    expect([...float32ToBfloat16Bits(whole.subarray(1))]).toEqual([0x3f80, 0x4000]);
    expect([...float32ToFloat16Bits(whole.subarray(1))]).toEqual([0x3c00, 0x4000]);
  });
});

describe("toFloat32 / fromFloat32", () => {
  it("returns F32 data itself and widens F16/BF16", () => {
    const data = new Float32Array([1, 2]);
    expect(toFloat32({ dtype: "F32", shape: [2], data })).toBe(data);
    expect([...toFloat32({ dtype: "F16", shape: [2], data: new Uint16Array([0x3c00, 0x0001]) })]).toEqual([
      1,
      2 ** -24,
    ]);
    expect([...toFloat32({ dtype: "BF16", shape: [1], data: new Uint16Array([0xc040]) })]).toEqual([-3]);
  });

  it("rounds F64 to the nearest float32 and overflows to Infinity", () => {
    const out = toFloat32({
      dtype: "F64",
      shape: [4],
      data: new Float64Array([0.1, 1e300, -1e-50, 1 + 2 ** -24]),
    });
    // 1 + 2^-24 is halfway between 1 and 1 + 2^-23: ties to even gives 1.
    expect([...out]).toEqual([Math.fround(0.1), Infinity, -0, 1]);
    expect(Object.is(out[2], -0)).toBe(true);
  });

  it("refuses integer and boolean tensors", () => {
    expect(() => toFloat32({ dtype: "I32", shape: [1], data: new Int32Array(1) })).toThrow(
      "cannot read a I32 tensor as float32",
    );
    expect(() => toFloat32({ dtype: "BOOL", shape: [1], data: new Uint8Array(1) })).toThrow(PolicyError);
  });

  it("fromFloat32 converts to F16 or BF16 and nothing else", () => {
    expect([...fromFloat32(new Float32Array([1.5]), "F16")]).toEqual([0x3e00]);
    expect([...fromFloat32(new Float32Array([1.5]), "BF16")]).toEqual([0x3fc0]);
    expect(() => fromFloat32(new Float32Array(1), "F32" as "F16")).toThrow(
      'converts to "F16" or "BF16", not "F32"',
    );
    expect(() => fromFloat32([1] as unknown as Float32Array, "F16")).toThrow("expects a Float32Array");
  });

  it("keeps a float32 NaN payload through bfloat16 bits exactly when the payload is in the top half", () => {
    const nan = f32FromBits(0x7fc50000);
    expect(bitsOf(bfloat16BitsToFloat32(float32ToBfloat16Bits(nan)))).toEqual([0x7fc50000]);
  });
});
