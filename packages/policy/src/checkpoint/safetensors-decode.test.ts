import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { decodeSafetensors } from "./safetensors-decode";
import { encodeSafetensors } from "./safetensors-encode";
import { assembleSafetensors } from "./test-fixtures";

const entry = (dtype: string, shape: number[], begin: number, end: number) =>
  JSON.stringify({ dtype, shape, data_offsets: [begin, end] });

describe("decodeSafetensors on hand-assembled files", () => {
  it("reads a file exactly as Python's safetensors writes it", () => {
    // save_file({"x": torch.tensor(1.5, dtype=torch.bfloat16), "ids": torch.tensor([[-1], [3]])}, path)
    // I64 is laid out first: ids [0,16), x [16,18). 1.5 in bfloat16 = 0x3fc0.
    const header = `{"ids":${entry("I64", [2, 1], 0, 16)},"x":${entry("BF16", [], 16, 18)}}`;
    const data = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x3f];
    const { tensors, metadata } = decodeSafetensors(assembleSafetensors(header, data));
    expect(metadata).toBeUndefined();
    expect(tensors.ids).toEqual({ dtype: "I64", shape: [2, 1], data: new BigInt64Array([-1n, 3n]) });
    expect(tensors.x).toEqual({ dtype: "BF16", shape: [], data: new Uint16Array([0x3fc0]) });
  });

  it("reads an unpadded header and a view into a larger buffer, copying the data out aligned", () => {
    const file = assembleSafetensors(`{"w":${entry("F32", [1], 0, 4)}}`, [0, 0, 0x80, 0x3f], false);
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const { tensors } = decodeSafetensors(shifted.subarray(3));
    expect(tensors.w!.data).toEqual(new Float32Array([1]));
    expect(tensors.w!.data.buffer).not.toBe(shifted.buffer);
  });

  it("accepts zero-element tensors and the metadata object", () => {
    const header = `{"__metadata__":{"format":"pt","note":"é"},"e":${entry("F32", [0, 3], 0, 0)},"u":${entry("U8", [1], 0, 1)}}`;
    const { tensors, metadata } = decodeSafetensors(assembleSafetensors(header, [9]));
    expect(metadata).toEqual({ format: "pt", note: "é" });
    expect(tensors.e!.data.length).toBe(0);
    expect(tensors.u!.data).toEqual(new Uint8Array([9]));
  });
});

describe("decodeSafetensors rejects corrupt files with a message that says what is wrong", () => {
  const cases: [string, Uint8Array, string][] = [
    [
      "shorter than the length prefix",
      new Uint8Array(5),
      "safetensors file is 5 bytes, shorter than its 8-byte header length",
    ],
    [
      "header length beyond the file",
      (() => {
        const f = assembleSafetensors("{}");
        new DataView(f.buffer).setBigUint64(0, 9n, true);
        return f;
      })(),
      "safetensors header length 9 runs beyond the file (8 bytes follow the length prefix)",
    ],
    [
      "a 2^64-1 header length",
      (() => {
        const f = assembleSafetensors("{}");
        new DataView(f.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
        return f;
      })(),
      "safetensors header length 18446744073709551615 runs beyond the file",
    ],
    ["invalid UTF-8", assembleSafetensors("{\xff}").map((b, i) => (i === 9 ? 0xff : b)), "not valid UTF-8"],
    [
      "not starting with {",
      assembleSafetensors('["w"]'),
      'header must start with "{" but starts with "[\\"w\\"]',
    ],
    ["invalid JSON", assembleSafetensors('{"w":'), "safetensors header is not valid JSON ("],
    [
      "an unknown dtype",
      assembleSafetensors(`{"w":${entry("F8_E4M3", [1], 0, 1)}}`, [0]),
      'safetensors tensor "w": unknown dtype "F8_E4M3" (supported: F64, F32, F16, BF16,',
    ],
    [
      "a non-integer shape",
      assembleSafetensors(`{"w":${entry("U8", [1.5], 0, 1)}}`, [0]),
      'safetensors tensor "w": shape [1.5] must be a list of non-negative integers',
    ],
    [
      "offsets that are not a pair",
      assembleSafetensors(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0]}}`, [0]),
      'safetensors tensor "w": data_offsets [0] must be [begin, end]',
    ],
    [
      "offsets ending before they begin",
      assembleSafetensors(`{"w":${entry("U8", [0], 1, 0)}}`, [0]),
      'safetensors tensor "w": data_offsets [1, 0] end before they begin',
    ],
    [
      "offsets beyond the buffer",
      assembleSafetensors(`{"w":${entry("F32", [2], 0, 8)}}`, [0, 0, 0, 0]),
      'safetensors tensor "w": data_offsets [0, 8] run beyond the data buffer (4 bytes); the file is truncated',
    ],
    [
      "a byte length that is not product(shape) · itemsize",
      assembleSafetensors(`{"w":${entry("F32", [2, 2], 0, 12)}}`, new Array(12).fill(0)),
      'safetensors tensor "w": shape [2, 2] of F32 needs 16 bytes but data_offsets [0, 12] hold 12',
    ],
    [
      "overlapping tensors",
      assembleSafetensors(`{"a":${entry("U8", [2], 0, 2)},"b":${entry("U8", [2], 1, 3)}}`, [0, 0, 0]),
      'safetensors tensors "a" [0, 2] and "b" [1, 3] overlap',
    ],
    [
      "a gap between tensors",
      assembleSafetensors(`{"a":${entry("U8", [1], 0, 1)},"b":${entry("U8", [1], 2, 3)}}`, [0, 0, 0]),
      'safetensors data bytes [1, 2) belong to no tensor (after "a", before "b")',
    ],
    [
      "a buffer not starting at offset 0",
      assembleSafetensors(`{"b":${entry("U8", [1], 1, 2)}}`, [0, 0]),
      'safetensors data bytes [0, 1) belong to no tensor (at the start of the data buffer, before "b")',
    ],
    [
      "trailing bytes",
      assembleSafetensors(`{"a":${entry("U8", [1], 0, 1)}}`, [0, 0]),
      "safetensors data buffer has 2 bytes but the tensors cover only 1",
    ],
    [
      "a duplicate tensor name",
      assembleSafetensors(`{"a":${entry("U8", [1], 0, 1)},"a":${entry("U8", [1], 0, 1)}}`, [0]),
      'safetensors header names tensor "a" twice',
    ],
    [
      "a duplicate name spelled with an escape",
      assembleSafetensors(`{"ab":${entry("U8", [1], 0, 1)},"a\\u0062":${entry("U8", [1], 0, 1)}}`, [0]),
      'safetensors header names tensor "ab" twice',
    ],
    [
      "a duplicate key inside an entry",
      assembleSafetensors(`{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, [0]),
      'safetensors header entry "a" has the key "dtype" twice',
    ],
    [
      "an entry that is not an object",
      assembleSafetensors(`{"a":[1]}`),
      'safetensors tensor "a": entry must be an object with dtype, shape and data_offsets',
    ],
    [
      "non-string metadata",
      assembleSafetensors(`{"__metadata__":{"step":3}}`),
      'safetensors "__metadata__".step is 3; metadata values must be strings',
    ],
  ];
  it.each(cases)("%s", (_what, bytes, message) => {
    expect(() => decodeSafetensors(bytes)).toThrow(PolicyError);
    expect(() => decodeSafetensors(bytes)).toThrow(message);
  });

  it("does not take string content for keys when checking duplicates", () => {
    // "a" appears as a value and inside strings with escaped quotes, commas and braces: no duplicate.
    const header = `{"__metadata__":{"x":"a","y":"\\",\\"a\\":{"},"a":${entry("U8", [1], 0, 1)}}`;
    expect(Object.keys(decodeSafetensors(assembleSafetensors(header, [1])).tensors)).toEqual(["a"]);
  });
});

describe("decodeSafetensors fuzzing", () => {
  const valid = encodeSafetensors(
    {
      w: { dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      b: { dtype: "BF16", shape: [3], data: new Uint16Array([1, 2, 3]) },
      n: { dtype: "I64", shape: [1], data: new BigInt64Array([5n]) },
    },
    { format: "pt" },
  );
  const returnsOrThrowsPolicyError = (bytes: Uint8Array) => {
    try {
      decodeSafetensors(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
    }
  };

  it("random bytes either decode or throw PolicyError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), returnsOrThrowsPolicyError), { numRuns: 500 });
  });

  it("a random length prefix followed by random bytes either decodes or throws PolicyError", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 80n })),
        fc.uint8Array({ maxLength: 64 }),
        (length, rest) => {
          const bytes = new Uint8Array(8 + rest.length);
          new DataView(bytes.buffer).setBigUint64(0, length, true);
          bytes.set(rest, 8);
          returnsOrThrowsPolicyError(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a valid file with mutated, truncated or extended bytes either decodes or throws PolicyError", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ maxLength: 9 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        let bytes = valid.slice();
        for (const m of mutations) {
          if (m.kind === "set" && bytes.length > 0) bytes[m.at % bytes.length] = m.value;
          else if (m.kind === "truncate") bytes = bytes.slice(0, m.at % (bytes.length + 1));
          else if (m.kind === "append") bytes = Uint8Array.from([...bytes, ...m.bytes]);
        }
        returnsOrThrowsPolicyError(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it("a header of random JSON either decodes or throws PolicyError", () => {
    fc.assert(
      fc.property(fc.json(), fc.uint8Array({ maxLength: 16 }), (json, data) => {
        returnsOrThrowsPolicyError(assembleSafetensors(json, [...data]));
      }),
      { numRuns: 300 },
    );
  });

  it("a header of random tensor entries either decodes or throws PolicyError", () => {
    const smallInt = fc.oneof(fc.integer({ min: -2, max: 40 }), fc.double(), fc.constant(2 ** 60));
    const entryArb = fc.record({
      dtype: fc.constantFrom("F32", "F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3", "f32"),
      shape: fc.array(smallInt, { maxLength: 3 }),
      data_offsets: fc.array(smallInt, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("a", "b", "c", "__metadata__"), entryArb, { maxKeys: 4 }),
        fc.uint8Array({ maxLength: 40 }),
        (header, data) => {
          returnsOrThrowsPolicyError(assembleSafetensors(JSON.stringify(header), [...data]));
        },
      ),
      { numRuns: 500 },
    );
  });
});
