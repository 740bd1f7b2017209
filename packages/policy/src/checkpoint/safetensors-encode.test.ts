import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { decodeSafetensors } from "./safetensors-decode";
import type { SafetensorsTensor } from "./safetensors-dtype";
import { encodeSafetensors } from "./safetensors-encode";
import { assembleSafetensors } from "./test-fixtures";

// What Python writes for
//   save_file({"b": torch.tensor([1.0, -2.0]), "a": torch.tensor([1.0, 0.5], dtype=torch.float16)},
//             path, metadata={"format": "pt"})
// assembled from the format's documentation: F32 (larger dtype) is laid out before F16 although "a" < "b";
// the compact header is 139 bytes, padded with 5 spaces to 144.
const PYTHON_HEADER =
  '{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}';
const PYTHON_DATA = [
  0x00,
  0x00,
  0x80,
  0x3f, // 1.0f  = 0x3f800000, little-endian
  0x00,
  0x00,
  0x00,
  0xc0, // -2.0f = 0xc0000000
  0x00,
  0x3c, // 1.0 half = 0x3c00
  0x00,
  0x38, // 0.5 half = 0x3800
];

describe("encodeSafetensors", () => {
  it("writes the exact bytes the Python library writes", () => {
    const expected = assembleSafetensors(PYTHON_HEADER, PYTHON_DATA);
    expect(expected.length).toBe(8 + 144 + 12);
    const bytes = encodeSafetensors(
      {
        b: { dtype: "F32", shape: [2], data: new Float32Array([1, -2]) },
        a: { dtype: "F16", shape: [2], data: new Uint16Array([0x3c00, 0x3800]) },
      },
      { format: "pt" },
    );
    expect([...bytes]).toEqual([...expected]);
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(144n);
    expect(new TextDecoder().decode(bytes.subarray(8 + 139, 8 + 144))).toBe("     ");
  });

  it("sorts by name within a dtype and puts no __metadata__ when none is given", () => {
    const bytes = encodeSafetensors({
      z: { dtype: "U8", shape: [1], data: new Uint8Array([7]) },
      m: { dtype: "U8", shape: [1], data: new Uint8Array([8]) },
    });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)).trimEnd();
    expect(header).toBe(
      '{"m":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"z":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
    );
    expect([...bytes.subarray(8 + headerLength)]).toEqual([8, 7]);
  });

  it("writes an empty dict as the 8-byte header '{}' plus 6 spaces", () => {
    expect([...encodeSafetensors({})]).toEqual([...assembleSafetensors("{}")]);
    expect(encodeSafetensors({}).length).toBe(16);
  });

  it("keeps integer-like and __proto__ names as tensors, in byte order", () => {
    const one = (v: number): SafetensorsTensor => ({ dtype: "I8", shape: [], data: new Int8Array([v]) });
    const tensors = Object.fromEntries([
      ["__proto__", one(1)],
      ["10", one(2)],
      ["9", one(3)],
    ]);
    const decoded = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(decoded.tensors).sort()).toEqual(["10", "9", "__proto__"]);
    expect(Object.getOwnPropertyDescriptor(decoded.tensors, "__proto__")?.value.data).toEqual(
      new Int8Array([1]),
    );
    const text = new TextDecoder().decode(encodeSafetensors(tensors));
    // "10" < "9" < "__proto__" byte-wise, so that is the data order.
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"9"'));
    expect(text.indexOf('"9"')).toBeLessThan(text.indexOf('"__proto__"'));
  });

  it("rejects what it cannot write, naming the tensor", () => {
    const f32 = (data: Float32Array, shape: number[]) => ({ w: { dtype: "F32" as const, shape, data } });
    expect(() => encodeSafetensors(f32(new Float32Array(3), [2, 2]))).toThrow(
      'tensor "w": shape [2, 2] needs 4 elements but data has 3',
    );
    expect(() => encodeSafetensors(f32(new Float32Array(2), [-2]))).toThrow(
      'tensor "w": shape [-2] must be a list of non-negative integers',
    );
    expect(() =>
      encodeSafetensors({
        w: { dtype: "F32", shape: [1], data: new Float64Array(1) as unknown as Float32Array },
      }),
    ).toThrow('tensor "w": F32 data must be a Float32Array, got Float64Array');
    expect(() =>
      encodeSafetensors({ w: { dtype: "F8" as "F32", shape: [1], data: new Float32Array(1) } }),
    ).toThrow('tensor "w": unknown dtype "F8"');
    expect(() => encodeSafetensors({ __metadata__: f32(new Float32Array(1), [1]).w })).toThrow(PolicyError);
    expect(() => encodeSafetensors({ "": f32(new Float32Array(1), [1]).w })).toThrow("must not be empty");
    expect(() => encodeSafetensors({}, { n: 3 as unknown as string })).toThrow(
      'safetensors metadata "n" is a number',
    );
  });
});

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const tensorArb: fc.Arbitrary<SafetensorsTensor> = shapeArb.chain((shape) => {
  const n = count(shape);
  const bytesOf = (size: number) => fc.uint8Array({ minLength: n * size, maxLength: n * size });
  return fc.oneof(
    bytesOf(4).map((b): SafetensorsTensor => ({ dtype: "F32", shape, data: new Float32Array(b.buffer) })),
    bytesOf(8).map((b): SafetensorsTensor => ({ dtype: "F64", shape, data: new Float64Array(b.buffer) })),
    bytesOf(2).map((b): SafetensorsTensor => ({ dtype: "BF16", shape, data: new Uint16Array(b.buffer) })),
    bytesOf(2).map((b): SafetensorsTensor => ({ dtype: "F16", shape, data: new Uint16Array(b.buffer) })),
    bytesOf(8).map((b): SafetensorsTensor => ({ dtype: "I64", shape, data: new BigInt64Array(b.buffer) })),
    bytesOf(4).map((b): SafetensorsTensor => ({ dtype: "I32", shape, data: new Int32Array(b.buffer) })),
    bytesOf(1).map((b): SafetensorsTensor => ({ dtype: "U8", shape, data: b })),
    fc
      .array(fc.boolean(), { minLength: n, maxLength: n })
      .map((v): SafetensorsTensor => ({ dtype: "BOOL", shape, data: Uint8Array.from(v, Number) })),
  );
});

/** Raw bytes of a tensor's data: compares NaN payloads and -0 exactly, unlike value equality. */
const rawBytes = (t: SafetensorsTensor) => [
  ...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
];

describe("safetensors round trip", () => {
  it("decode(encode(x)) is bit-exact for every dtype, shape and name (NaN payloads included)", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tensorArb, { maxKeys: 6 }),
        fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), { nil: undefined }),
        (tensors, metadata) => {
          delete tensors.__metadata__;
          const bytes = encodeSafetensors(tensors, metadata);
          expect(bytes.length % 8).toBe(
            Object.values(tensors).reduce((s, t) => s + t.data.byteLength, 0) % 8,
          );
          const decoded = decodeSafetensors(bytes);
          expect(decoded.metadata).toEqual(metadata);
          expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const [name, t] of Object.entries(tensors)) {
            const back = decoded.tensors[name]!;
            expect(back.dtype).toBe(t.dtype);
            expect(back.shape).toEqual([...t.shape]);
            expect(back.data.constructor).toBe(t.data.constructor);
            expect(rawBytes(back)).toEqual(rawBytes(t));
          }
          // Re-encoding what was decoded gives the same file.
          expect(encodeSafetensors(decoded.tensors, decoded.metadata)).toEqual(bytes);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("keeps a float32 NaN payload and -0 bit for bit", () => {
    const bits = new Uint32Array([0x7fc12345, 0xffa00001, 0x80000000, 0x00000001]);
    const data = new Float32Array(bits.buffer);
    const decoded = decodeSafetensors(encodeSafetensors({ x: { dtype: "F32", shape: [4], data } }));
    const back = decoded.tensors.x!.data as Float32Array;
    expect([...new Uint32Array(back.buffer, back.byteOffset, 4)]).toEqual([...bits]);
  });

  it("aligns every tensor to its item size when dtypes are mixed", () => {
    const bytes = encodeSafetensors({
      a: { dtype: "U8", shape: [3], data: new Uint8Array(3) },
      b: { dtype: "F64", shape: [1], data: new Float64Array([1]) },
      c: { dtype: "F32", shape: [1], data: new Float32Array([1]) },
      d: { dtype: "BF16", shape: [1], data: new Uint16Array([1]) },
    });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    // Layout: F64 b [0,8), F32 c [8,12), BF16 d [12,14), U8 a [14,17).
    expect(header.b.data_offsets).toEqual([0, 8]);
    expect(header.c.data_offsets).toEqual([8, 12]);
    expect(header.d.data_offsets).toEqual([12, 14]);
    expect(header.a.data_offsets).toEqual([14, 17]);
  });
});
