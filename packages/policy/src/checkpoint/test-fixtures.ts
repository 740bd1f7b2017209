import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ModelConfig, ModelConfigSchema, parameterShapes } from "../model-config";
import type { CheckpointWeight } from "./checkpoint-weight";
import { elementCount } from "./safetensors-dtype";

/** Bytes of a safetensors file built by hand: 8-byte LE length, the header text padded with spaces, data. */
export function assembleSafetensors(header: string, data: readonly number[] = [], pad = true): Uint8Array {
  const padded = pad ? header + " ".repeat((8 - (header.length % 8)) % 8) : header;
  const json = new TextEncoder().encode(padded);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A two-layer Qwen2 small enough for tests: d=8, 2 heads of 4, 1 kv head, ffn 16, vocab 11. */
export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return ModelConfigSchema.parse({
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 32,
    ...overrides,
  });
}

/** Every parameter of `config`, filled with distinct deterministic values (a tensor-specific ramp). */
export function tinyWeights(config: ModelConfig): Map<string, CheckpointWeight> {
  const weights = new Map<string, CheckpointWeight>();
  let seed = 1;
  for (const [name, shape] of parameterShapes(config)) {
    const data = new Float32Array(elementCount(shape));
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.sin(seed * 1000 + i) * 0.5);
    weights.set(name, { shape, data });
    seed++;
  }
  return weights;
}

/** A fresh directory under the OS temp dir, removed by the returned cleanup. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "hdpo-checkpoint-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
