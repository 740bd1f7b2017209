import { readdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { fromFloat32, toFloat32 } from "./float-conversion";
import { loadCheckpoint } from "./load-checkpoint";
import { decodeSafetensors } from "./safetensors-decode";
import { saveCheckpoint } from "./save-checkpoint";
import { makeTempDir, tinyConfig, tinyWeights } from "./test-fixtures";

describe("saveCheckpoint", () => {
  let dir = "";
  let cleanup = async () => {};
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterEach(() => cleanup());

  it("writes the Hugging Face layout and loads back bit-exact in float32", async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    weights.get("model.norm.weight")!.data[0] = -0;
    const target = join(dir, "nested", "step-1");
    const result = await saveCheckpoint(target, {
      config,
      weights,
      tokenizerJson: { model: { type: "BPE" } },
      generationConfig: { eos_token_id: 3, temperature: 0.7 },
      metadata: { step: "1" },
    });
    expect(result.warnings).toEqual([]);
    expect(result.files.map((f) => f.slice(target.length + 1))).toEqual([
      "model.safetensors",
      "tokenizer.json",
      "generation_config.json",
      "config.json",
    ]);
    expect((await readdir(target)).sort()).toEqual([
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "tokenizer.json",
    ]);

    const configText = await readFile(join(target, "config.json"), "utf8");
    // transformers style: 2-space indent, sorted keys, trailing newline.
    expect(
      configText.startsWith(
        '{\n  "architectures": [\n    "Qwen2ForCausalLM"\n  ],\n  "attention_bias": true,',
      ),
    ).toBe(true);
    expect(configText.endsWith("}\n")).toBe(true);

    const loaded = await loadCheckpoint(target);
    expect(loaded.config).toEqual(config);
    expect(loaded.metadata).toEqual({ format: "pt", step: "1" });
    expect(loaded.tokenizerJson).toBe('{"model":{"type":"BPE"}}');
    expect(loaded.generationConfig).toMatchObject({ eos_token_id: 3, temperature: 0.7, top_p: 1 });
    expect([...loaded.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [name, w] of weights) {
      const back = loaded.weights.get(name)!;
      expect(back.shape).toEqual(w.shape);
      expect(new Uint32Array(back.data.buffer)).toEqual(new Uint32Array(w.data.buffer));
    }
    expect(Object.is(loaded.weights.get("model.norm.weight")!.data[0], -0)).toBe(true);
  });

  it.each([
    ["bfloat16", "BF16"],
    ["float16", "F16"],
  ] as const)("stores weights as %s when the config's torch_dtype says so", async (torchDtype, dtype) => {
    const config = tinyConfig({ torch_dtype: torchDtype });
    const weights = tinyWeights(config);
    await saveCheckpoint(dir, { config, weights });
    const file = decodeSafetensors(new Uint8Array(await readFile(join(dir, "model.safetensors"))));
    expect(new Set(Object.values(file.tensors).map((t) => t.dtype))).toEqual(new Set([dtype]));
    const loaded = await loadCheckpoint(dir);
    for (const [name, w] of weights) {
      const rounded = toFloat32({ dtype, shape: w.shape, data: fromFloat32(w.data, dtype) });
      expect(loaded.weights.get(name)!.data).toEqual(rounded);
    }
    // 16-bit storage changes the values: the test would not notice a silent float32 write otherwise.
    expect(loaded.weights.get("model.norm.weight")!.data).not.toEqual(weights.get("model.norm.weight")!.data);
  });

  it("leaves a tied lm_head.weight out, with a warning", async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    weights.set("lm_head.weight", { shape: [11, 8], data: new Float32Array(88) });
    const { warnings } = await saveCheckpoint(dir, { config, weights });
    expect(warnings).toEqual([expect.stringContaining("lm_head.weight [11, 8] is ignored")]);
    const file = decodeSafetensors(new Uint8Array(await readFile(join(dir, "model.safetensors"))));
    expect(Object.keys(file.tensors)).not.toContain("lm_head.weight");
  });

  it("accepts weights as a plain record", async () => {
    const config = tinyConfig();
    await saveCheckpoint(dir, { config, weights: Object.fromEntries(tinyWeights(config)) });
    expect((await loadCheckpoint(dir)).weights.size).toBe(tinyWeights(config).size);
  });

  it("writes nothing for weights that do not match the config", async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    weights.delete("model.norm.weight");
    const target = join(dir, "never");
    await expect(saveCheckpoint(target, { config, weights })).rejects.toThrow(
      `saving ${target}: the weights do not match the config (1 problem):\n  missing: model.norm.weight [8]`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses non-finite weights unless allowNonFinite, naming them", async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    weights.get("model.norm.weight")!.data.set([Number.NaN, Infinity], 2);
    await expect(saveCheckpoint(dir, { config, weights })).rejects.toThrow(
      "non-finite weights in model.norm.weight (2 values); the run has diverged",
    );
    await saveCheckpoint(dir, { config, weights }, { allowNonFinite: true });
    const loaded = await loadCheckpoint(dir, { allowNonFinite: true });
    expect(Number.isNaN(loaded.weights.get("model.norm.weight")!.data[2])).toBe(true);
  });

  it("rejects bad input with PolicyError", async () => {
    const config = tinyConfig();
    const weights = tinyWeights(config);
    await expect(saveCheckpoint(dir, { config, weights, metadata: { format: "tf" } })).rejects.toThrow(
      'metadata.format must be "pt" (transformers refuses other formats), got "tf"',
    );
    await expect(saveCheckpoint(dir, { config: { ...config, hidden_size: 0 }, weights })).rejects.toThrow(
      "the checkpoint's model config is invalid:\n  hidden_size:",
    );
    const short = new Map(weights);
    short.set("model.norm.weight", { shape: [8], data: new Float32Array(7) });
    await expect(saveCheckpoint(dir, { config, weights: short })).rejects.toThrow(
      'weight "model.norm.weight": shape [8] needs 8 values but data has 7',
    );
    await expect(saveCheckpoint(dir, { config, weights, generationConfig: { top_p: 2 } })).rejects.toThrow(
      PolicyError,
    );
  });

  it("a crash while replacing model.safetensors leaves the previous checkpoint loadable and unchanged", async () => {
    const config = tinyConfig();
    const before = tinyWeights(config);
    await saveCheckpoint(dir, { config, weights: before, generationConfig: { eos_token_id: 1 } });
    const bytesBefore = await readFile(join(dir, "model.safetensors"));

    const after = tinyWeights(config);
    for (const w of after.values()) w.data.fill(0.25);
    const crashOnWeights = {
      rename: async (from: string, to: string) => {
        if (to.endsWith("model.safetensors")) throw new Error("killed");
        await rename(from, to);
      },
    };
    await expect(
      saveCheckpoint(
        dir,
        { config, weights: after, generationConfig: { eos_token_id: 2 } },
        { fileSystem: crashOnWeights },
      ),
    ).rejects.toThrow("could not write");
    expect(await readFile(join(dir, "model.safetensors"))).toEqual(bytesBefore);
    // The weights are written first, so nothing after them was replaced either.
    const loaded = await loadCheckpoint(dir);
    expect(loaded.generationConfig?.eos_token_id).toBe(1);
    expect(loaded.weights.get("model.norm.weight")!.data).toEqual(before.get("model.norm.weight")!.data);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
