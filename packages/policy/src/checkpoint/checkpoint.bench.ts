import { bench, describe } from "vitest";
import { float32ToBfloat16Bits, float32ToFloat16Bits, toFloat32 } from "./float-conversion";
import { decodeSafetensors } from "./safetensors-decode";
import { encodeSafetensors } from "./safetensors-encode";

// 50 MB of float32 in 25 tensors of 2 MB each, the size of a small model's shard.
const TENSORS = 25;
const ELEMENTS = (50 * 1024 * 1024) / 4 / TENSORS;
const tensors = Object.fromEntries(
  Array.from({ length: TENSORS }, (_, t) => {
    const data = new Float32Array(ELEMENTS);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(t * 7919 + i);
    return [`model.layers.${t}.mlp.up_proj.weight`, { dtype: "F32" as const, shape: [ELEMENTS], data }];
  }),
);
const encoded = encodeSafetensors(tensors, { format: "pt" });
const values = tensors["model.layers.0.mlp.up_proj.weight"]!.data;
const bf16 = float32ToBfloat16Bits(values);
const f16 = float32ToFloat16Bits(values);

describe("safetensors, 50 MB of F32", () => {
  bench("encodeSafetensors", () => {
    encodeSafetensors(tensors, { format: "pt" });
  });
  bench("decodeSafetensors", () => {
    decodeSafetensors(encoded);
  });
});

describe(`16-bit conversion, ${ELEMENTS} floats (2 MB of float32)`, () => {
  bench("float32 → bfloat16", () => {
    float32ToBfloat16Bits(values);
  });
  bench("bfloat16 → float32", () => {
    toFloat32({ dtype: "BF16", shape: [ELEMENTS], data: bf16 });
  });
  bench("float32 → float16", () => {
    float32ToFloat16Bits(values);
  });
  bench("float16 → float32", () => {
    toFloat32({ dtype: "F16", shape: [ELEMENTS], data: f16 });
  });
});
