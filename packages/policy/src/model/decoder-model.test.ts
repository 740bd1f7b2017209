import { tf, useBackend } from "@hdpo/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { parameterShapes } from "../model-config";
import { PolicyError } from "../policy-error";
import { DecoderModel, INITIALIZER_RANGE } from "./decoder-model";
import { referenceForward } from "./reference-forward";
import { maxAbsDiff, randomWeights, TINY_GQA, TINY_UNTIED } from "./test-configs";

describe.each(["cpu", "wasm"] as const)("DecoderModel on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each([
    ["GQA (4 heads over 2), q/k/v biases, tied head", TINY_GQA],
    ["MHA, no bias, untied lm_head", TINY_UNTIED],
  ])("matches the float64 reference forward: %s", (_, config) => {
    const weights = randomWeights(config, 11);
    const model = DecoderModel.fromWeights(config, weights);
    const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
    const logits = model.forward([ids], { lengths: [ids.length] });
    expect(logits.shape).toEqual([1, ids.length, config.vocab_size]);
    const expected = referenceForward(config, weights, ids);
    // float32 against float64 on logits of size ~10: a few 1e-5 absolute.
    expect(maxAbsDiff(logits.arraySync()[0], expected)).toBeLessThan(1e-4);
    logits.dispose();
    model.dispose();
  });

  it("masks padding: a row's logits do not change when batched with a longer row", () => {
    const model = DecoderModel.fromWeights(TINY_GQA, randomWeights(TINY_GQA, 3));
    const short = [7, 8, 9];
    const long = [1, 2, 3, 4, 5, 6];
    const alone = model.forward([short], { lengths: [3] });
    // Padding with ids that would change the result if attended to.
    const batched = model.forward([long, [...short, 30, 31, 32]], { lengths: [6, 3] });
    expect(batched.shape).toEqual([2, 6, TINY_GQA.vocab_size]);
    const fromBatch = (batched.arraySync()[1] as number[][]).slice(0, 3);
    expect(maxAbsDiff(fromBatch, alone.arraySync()[0])).toBeLessThan(1e-5);
    // And the long row equals the long row alone.
    const longAlone = model.forward([long], { lengths: [6] });
    expect(maxAbsDiff(batched.arraySync()[0], longAlone.arraySync()[0])).toBeLessThan(1e-5);
    tf.dispose([alone, batched, longAlone]);
    model.dispose();
  });

  it("is causal: changing a later token leaves earlier logits unchanged", () => {
    const model = DecoderModel.fromWeights(TINY_GQA, randomWeights(TINY_GQA, 4));
    const a = model.forward([[1, 2, 3, 4]], { lengths: [4] });
    const b = model.forward([[1, 2, 3, 20]], { lengths: [4] });
    const [ra, rb] = [a.arraySync()[0]!, b.arraySync()[0]!];
    expect(maxAbsDiff(ra.slice(0, 3), rb.slice(0, 3))).toBeLessThan(1e-6);
    expect(maxAbsDiff(ra[3], rb[3])).toBeGreaterThan(1e-3);
    tf.dispose([a, b]);
    model.dispose();
  });

  it("creates deterministic weights for a seed: normal(0, 0.02) matrices, unit norms, zero biases", () => {
    const a = DecoderModel.create(TINY_GQA, { seed: 5 });
    const b = DecoderModel.create(TINY_GQA, { seed: 5 });
    const c = DecoderModel.create(TINY_GQA, { seed: 6 });
    const [wa, wb, wc] = [a.weights(), b.weights(), c.weights()];
    expect([...wa.keys()]).toEqual([...parameterShapes(TINY_GQA).keys()]);
    for (const [name, { shape, data }] of wa) {
      expect(shape).toEqual(parameterShapes(TINY_GQA).get(name));
      expect(data).toEqual(wb.get(name)!.data);
      if (name.endsWith("norm.weight")) expect(data.every((v) => v === 1)).toBe(true);
      else if (name.endsWith(".bias")) expect(data.every((v) => v === 0)).toBe(true);
      else expect(data).not.toEqual(wc.get(name)!.data);
    }
    const embedding = wa.get("model.embed_tokens.weight")!.data;
    const mean = embedding.reduce((s, v) => s + v, 0) / embedding.length;
    const std = Math.sqrt(embedding.reduce((s, v) => s + (v - mean) ** 2, 0) / embedding.length);
    // 592 draws: the sample std is within ~6% of 0.02 with overwhelming probability.
    expect(Math.abs(std - INITIALIZER_RANGE)).toBeLessThan(0.15 * INITIALIZER_RANGE);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    for (const m of [a, b, c]) m.dispose();
  });

  it("round-trips weights() through fromWeights() and frees its variables on dispose", () => {
    const before = tf.memory().numTensors;
    const weights = randomWeights(TINY_UNTIED, 9);
    const model = DecoderModel.fromWeights(TINY_UNTIED, weights);
    expect(model.parameters.has("lm_head.weight")).toBe(true);
    for (const [name, w] of model.weights()) expect(w.data).toEqual(weights.get(name)!.data);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.weights()).toThrow(PolicyError);
  });

  it("refuses weights that do not fit, naming every problem", () => {
    const weights = randomWeights(TINY_GQA, 1);
    weights.delete("model.norm.weight");
    weights.set("model.layers.0.self_attn.k_proj.weight", { shape: [16, 16], data: new Float32Array(256) });
    weights.set("lm_head.weight", { shape: [37, 16], data: new Float32Array(37 * 16) });
    const bad = weights.get("model.layers.1.mlp.up_proj.weight")!;
    bad.data[0] = Number.NaN;
    let message = "";
    try {
      DecoderModel.fromWeights(TINY_GQA, weights);
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      message = (error as Error).message;
    }
    expect(message).toContain("model.norm.weight is missing");
    expect(message).toContain("model.layers.0.self_attn.k_proj.weight has shape [16,16], expected [8,16]");
    expect(message).toContain("lm_head.weight is not a parameter");
    expect(message).toContain("model.layers.1.mlp.up_proj.weight holds non-finite values");
  });

  it("validates its input", () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 1 });
    expect(() => model.forward([[1, 2], [3]], { lengths: [2, 1] })).toThrow(/right-pad/);
    expect(() => model.forward([[1, 2]], { lengths: [3] })).toThrow(/lengths\[0\] = 3/);
    expect(() => model.forward([[1, 37]], { lengths: [2] })).toThrow(/token id 37/);
    expect(() => model.forward([], { lengths: [] })).toThrow(PolicyError);
    expect(() => DecoderModel.create({ ...TINY_GQA, num_key_value_heads: 3 }, { seed: 1 })).toThrow(
      /multiple of num_key_value_heads/,
    );
    expect(() => DecoderModel.create(TINY_GQA, { seed: Number.NaN })).toThrow(PolicyError);
    model.dispose();
  });
});

describe("DecoderModel across backends", () => {
  it("gives the same logits on wasm (per-block attention at this length) as on cpu", async () => {
    // T = 70, G = 2, head_dim 4: 70·2·70·4 = 39200 multiply-adds per block, above the per-block threshold.
    const weights = randomWeights(TINY_GQA, 41);
    const ids = [
      Array.from({ length: 70 }, (_, i) => (i * 7) % 37),
      Array.from({ length: 70 }, (_, i) => (i * 5 + 1) % 37),
    ];
    const run = async (backend: "cpu" | "wasm"): Promise<number[][][]> => {
      await useBackend(backend);
      const model = DecoderModel.fromWeights(TINY_GQA, weights);
      const logits = model.forward(ids, { lengths: [70, 50] });
      const out = logits.arraySync();
      logits.dispose();
      model.dispose();
      return out;
    };
    const cpu = await run("cpu");
    const wasm = await run("wasm");
    expect(maxAbsDiff(cpu, wasm)).toBeLessThan(1e-4);
    // And the reference agrees on the shorter row's real positions.
    const expected = referenceForward(TINY_GQA, weights, ids[1]!.slice(0, 50));
    expect(maxAbsDiff(wasm[1]!.slice(0, 50), expected)).toBeLessThan(1e-4);
  });
});
