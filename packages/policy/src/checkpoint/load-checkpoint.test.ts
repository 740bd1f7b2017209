import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { loadCheckpoint } from "./load-checkpoint";
import { decodeSafetensors } from "./safetensors-decode";
import type { SafetensorsTensor } from "./safetensors-dtype";
import { encodeSafetensors } from "./safetensors-encode";
import { saveCheckpoint } from "./save-checkpoint";
import { assembleSafetensors, makeTempDir, tinyConfig, tinyWeights } from "./test-fixtures";

// The smallest Qwen2 there is: d=2, one head of 2, ffn 1, vocab 2, one layer, no attention bias.
const MICRO_CONFIG = {
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  vocab_size: 2,
  hidden_size: 2,
  intermediate_size: 1,
  num_hidden_layers: 1,
  num_attention_heads: 1,
  num_key_value_heads: 1,
  max_position_embeddings: 8,
  attention_bias: false,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  transformers_version: "4.45.0",
};

// Every tensor of MICRO_CONFIG in bfloat16, named and sorted as Python's save_file lays them out (one dtype,
// so by name), plus the lm_head.weight that transformers sometimes writes for tied models. Element counts:
// lm_head 4, ln 2, down 2, gate 2, up 2, post_ln 2, k 4, o 4, q 4, v 4, embed 4, norm 2 = 36 → 72 bytes.
const MICRO_TENSORS: [string, number[]][] = [
  ["lm_head.weight", [2, 2]],
  ["model.embed_tokens.weight", [2, 2]],
  ["model.layers.0.input_layernorm.weight", [2]],
  ["model.layers.0.mlp.down_proj.weight", [2, 1]],
  ["model.layers.0.mlp.gate_proj.weight", [1, 2]],
  ["model.layers.0.mlp.up_proj.weight", [1, 2]],
  ["model.layers.0.post_attention_layernorm.weight", [2]],
  ["model.layers.0.self_attn.k_proj.weight", [2, 2]],
  ["model.layers.0.self_attn.o_proj.weight", [2, 2]],
  ["model.layers.0.self_attn.q_proj.weight", [2, 2]],
  ["model.layers.0.self_attn.v_proj.weight", [2, 2]],
  ["model.norm.weight", [2]],
];

/** The header text Python writes for MICRO_TENSORS: compact JSON, __metadata__ first, offsets back to back. */
function microHeader(): string {
  let offset = 0;
  const members = MICRO_TENSORS.map(([name, shape]) => {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    const member = `"${name}":{"dtype":"BF16","shape":[${shape.join(",")}],"data_offsets":[${offset},${offset + bytes}]}`;
    offset += bytes;
    return member;
  });
  return `{"__metadata__":{"format":"pt"},${members.join(",")}}`;
}

describe("loadCheckpoint", () => {
  let dir = "";
  let cleanup = async () => {};
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterEach(() => cleanup());

  it("loads a bfloat16 checkpoint laid out exactly as transformers + safetensors write it", async () => {
    await writeFile(join(dir, "config.json"), JSON.stringify(MICRO_CONFIG, null, 2));
    // Every element is bfloat16 0x3fc0 = 1.5, except lm_head which is all 0xbf80 = -1.
    const data: number[] = [];
    for (const [name, shape] of MICRO_TENSORS) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (let i = 0; i < n; i++) data.push(...(name === "lm_head.weight" ? [0x80, 0xbf] : [0xc0, 0x3f]));
    }
    expect(data.length).toBe(72);
    await writeFile(join(dir, "model.safetensors"), assembleSafetensors(microHeader(), data));
    await writeFile(join(dir, "tokenizer.json"), '{"version":"1.0"}');

    const loaded = await loadCheckpoint(dir, { dtype: "float32" });
    expect(loaded.config.transformers_version).toBe("4.45.0");
    expect(loaded.metadata).toEqual({ format: "pt" });
    expect(loaded.tokenizerJson).toBe('{"version":"1.0"}');
    expect(loaded.generationConfig).toBeUndefined();
    expect(loaded.weights.has("lm_head.weight")).toBe(false);
    expect(loaded.warnings).toEqual([expect.stringContaining("lm_head.weight [2, 2] is ignored")]);
    expect(loaded.weights.size).toBe(11);
    expect(loaded.weights.get("model.layers.0.mlp.down_proj.weight")).toEqual({
      shape: [2, 1],
      data: new Float32Array([1.5, 1.5]),
    });
  });

  it("lists every missing, unexpected and misshapen parameter in one error", async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    await saveCheckpoint(dir, { config, weights });
    // Claim 1 layer (the file has 2) and an FFN of 12 (the file has 16).
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ ...config, num_hidden_layers: 1, intermediate_size: 12 }),
    );
    const error = await loadCheckpoint(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    const message = (error as PolicyError).message;
    expect(message).toContain(`${dir}: the weights do not match the config (`);
    expect(message).toContain("model.layers.0.mlp.gate_proj.weight: expected [12, 8], found [16, 8]");
    expect(message).toContain("model.layers.0.mlp.down_proj.weight: expected [8, 12], found [8, 16]");
    expect(message).toContain("unexpected: model.layers.1.self_attn.q_proj.weight [8, 8]");
    // 3 mismatches in layer 0 (gate, up, down) + 12 unexpected tensors of layer 1 = 15.
    expect(message).toContain("(15 problems)");
  });

  it("loads a sharded checkpoint through model.safetensors.index.json", async () => {
    const config = tinyConfig({ tie_word_embeddings: false });
    const weights = tinyWeights(config);
    await saveCheckpoint(dir, { config, weights });
    const single = decodeSafetensors(new Uint8Array(await readFile(join(dir, "model.safetensors"))));
    await rm(join(dir, "model.safetensors"));
    const names = Object.keys(single.tensors).sort();
    const shardOf = (name: string) =>
      names.indexOf(name) % 2 === 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
    for (const shard of ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]) {
      const part: Record<string, SafetensorsTensor> = {};
      for (const name of names) if (shardOf(name) === shard) part[name] = single.tensors[name]!;
      await writeFile(join(dir, shard), encodeSafetensors(part, { format: "pt" }));
    }
    const weightMap = Object.fromEntries(names.map((n) => [n, shardOf(n)]));
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ metadata: { total_size: 1234 }, weight_map: weightMap }),
    );
    const loaded = await loadCheckpoint(dir);
    expect(loaded.weights.size).toBe(weights.size);
    for (const [name, w] of weights) expect(loaded.weights.get(name)!.data).toEqual(w.data);

    // An index that disagrees with its shards is reported whole.
    const broken = {
      ...weightMap,
      "model.norm.weight": "model-00001-of-00002.safetensors",
      ghost: "model-00002-of-00002.safetensors",
    };
    delete (broken as Record<string, string>)["lm_head.weight"];
    const normShard = shardOf("model.norm.weight");
    await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: broken }));
    const message = await loadCheckpoint(dir).catch((e: PolicyError) => e.message);
    expect(message).toContain("model.safetensors.index.json does not match its shards (");
    expect(message).toContain(`lm_head.weight is in ${shardOf("lm_head.weight")} but not in the weight_map`);
    expect(message).toContain(
      "the weight_map puts ghost in model-00002-of-00002.safetensors, which does not contain it",
    );
    if (normShard !== "model-00001-of-00002.safetensors") {
      expect(message).toContain(
        `model.norm.weight is in ${normShard} but the weight_map puts it in model-00001-of-00002.safetensors`,
      );
    }
  });

  it("reports missing shards and shard names that leave the directory", async () => {
    const config = tinyConfig();
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { "model.norm.weight": "missing.safetensors" } }),
    );
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      "shard missing.safetensors is listed in the weight_map but does not exist",
    );
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { "model.norm.weight": "../outside.safetensors" } }),
    );
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      'shard "../outside.safetensors" must be a file name inside the checkpoint directory',
    );
    await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weights: {} }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      "model.safetensors.index.json is invalid:\n  weight_map:",
    );
  });

  it("names the file and the problem for broken directories", async () => {
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `${dir} has no config.json; is it a Hugging Face model directory?`,
    );
    await writeFile(join(dir, "config.json"), "{not json");
    await expect(loadCheckpoint(dir)).rejects.toThrow(`${join(dir, "config.json")} is not valid JSON (`);
    await writeFile(join(dir, "config.json"), JSON.stringify({ ...tinyConfig(), num_key_value_heads: 3 }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `${join(dir, "config.json")} is invalid:\n  num_key_value_heads: num_attention_heads (2) must be a multiple of num_key_value_heads (3)`,
    );
    await writeFile(join(dir, "config.json"), JSON.stringify(tinyConfig()));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      "has neither model.safetensors nor model.safetensors.index.json",
    );
    await writeFile(join(dir, "model.safetensors"), new Uint8Array([1, 2, 3]));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `${join(dir, "model.safetensors")}: safetensors file is 3 bytes, shorter than its 8-byte header length`,
    );
    await writeFile(
      join(dir, "model.safetensors"),
      encodeSafetensors({ "model.norm.weight": { dtype: "I32", shape: [8], data: new Int32Array(8) } }),
    );
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `${join(dir, "model.safetensors")}: model.norm.weight: cannot read a I32 tensor as float32`,
    );
    await expect(loadCheckpoint(dir, { dtype: "float16" as "float32" })).rejects.toThrow(
      'loadCheckpoint supports dtype "float32" only, got "float16"',
    );
  });

  it("validates generation_config.json and refuses non-finite weights", async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    await saveCheckpoint(dir, { config, weights });
    await writeFile(join(dir, "generation_config.json"), JSON.stringify({ top_p: 0 }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      `${join(dir, "generation_config.json")} is invalid:\n  top_p:`,
    );
    await rm(join(dir, "generation_config.json"));
    weights.get("model.embed_tokens.weight")!.data[5] = Number.NaN;
    await saveCheckpoint(dir, { config, weights }, { allowNonFinite: true });
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      "non-finite weights in model.embed_tokens.weight (1 value); the checkpoint is from a diverged run",
    );
  });

  it("prefers model.safetensors over a stale index, as transformers does", async () => {
    const config = tinyConfig();
    await saveCheckpoint(dir, { config, weights: tinyWeights(config) });
    await writeFile(join(dir, "model.safetensors.index.json"), "{ broken");
    expect((await loadCheckpoint(dir)).weights.size).toBe(tinyWeights(config).size);
  });
});
