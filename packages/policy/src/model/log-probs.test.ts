import { tf, useBackend } from "@hdpo/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { DecoderModel, type PlainWeight } from "./decoder-model";
import { referenceForward } from "./reference-forward";
import { logSoftmax64, maxAbsDiff, randomWeights, TINY_GQA, TINY_UNTIED } from "./test-configs";

const SEQUENCES = [
  [5, 6, 7, 8, 9, 10, 11],
  [1, 2, 3],
  [20, 21, 22, 23, 24],
];
const PROMPTS = [3, 1, 4];

/** Float64 log-probs of each sequence's response tokens from the reference forward. */
function referenceLogProbs(
  config: typeof TINY_GQA,
  weights: ReadonlyMap<string, PlainWeight>,
  sequences: number[][],
  prompts: number[],
): number[][] {
  return sequences.map((ids, b) => {
    const logits = referenceForward(config, weights, ids);
    return ids.slice(prompts[b]).map((token, j) => logSoftmax64(logits[prompts[b]! - 1 + j]!)[token]!);
  });
}

describe.each(["cpu", "wasm"] as const)("logProbs on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("gives each response token's log-prob, aligned to the response, with a mask", () => {
    const weights = randomWeights(TINY_GQA, 21);
    const model = DecoderModel.fromWeights(TINY_GQA, weights);
    const before = tf.memory().numTensors;
    const result = model.logProbs({ sequences: SEQUENCES, promptLengths: PROMPTS }, { entropy: true });
    // Responses: 7 − 3 = 4, 3 − 1 = 2, 5 − 4 = 1 tokens → L = 4.
    expect(result.logProbs.shape).toEqual([3, 4]);
    expect(result.responseLengths).toEqual([4, 2, 1]);
    expect(result.mask.arraySync()).toEqual([
      [1, 1, 1, 1],
      [1, 1, 0, 0],
      [1, 0, 0, 0],
    ]);
    const expected = referenceLogProbs(TINY_GQA, weights, SEQUENCES, PROMPTS);
    const got = result.logProbs.arraySync();
    got.forEach((row, b) => {
      expect(maxAbsDiff(row.slice(0, expected[b]!.length), expected[b])).toBeLessThan(1e-4);
      expect(row.slice(expected[b]!.length).every((v) => v === 0)).toBe(true);
    });
    // Entropy of the distribution at the position before each response token, from the reference.
    const entropy = result.entropy!.arraySync();
    SEQUENCES.forEach((ids, b) => {
      const logits = referenceForward(TINY_GQA, weights, ids);
      for (let j = 0; j < ids.length - PROMPTS[b]!; j++) {
        const lp = logSoftmax64(logits[PROMPTS[b]! - 1 + j]!);
        const h = -lp.reduce((s, v) => s + Math.exp(v) * v, 0);
        expect(Math.abs(entropy[b]![j]! - h)).toBeLessThan(1e-4);
      }
      expect(entropy[b]!.slice(ids.length - PROMPTS[b]!).every((v) => v === 0)).toBe(true);
    });
    tf.dispose([result.logProbs, result.mask, result.entropy!]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("is padding-invariant: a sequence's log-probs do not change when batched with a longer one", () => {
    const model = DecoderModel.fromWeights(TINY_GQA, randomWeights(TINY_GQA, 22));
    const alone = model.logProbs({ sequences: [[4, 5, 6, 7]], promptLengths: [2] });
    const batched = model.logProbs({
      sequences: [[4, 5, 6, 7], Array.from({ length: 12 }, (_, i) => i + 3)],
      promptLengths: [2, 2],
    });
    expect(
      maxAbsDiff(batched.logProbs.arraySync()[0]!.slice(0, 2), alone.logProbs.arraySync()[0]),
    ).toBeLessThan(1e-5);
    tf.dispose([alone.logProbs, alone.mask, batched.logProbs, batched.mask]);
    model.dispose();
  });

  it("differentiates on this backend: every parameter gets a finite, non-zero gradient", () => {
    const model = DecoderModel.fromWeights(TINY_UNTIED, randomWeights(TINY_UNTIED, 23));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const { logProbs, mask } = model.logProbs({ sequences: SEQUENCES, promptLengths: PROMPTS });
      return tf.sum(tf.mul(logProbs, mask)) as tf.Scalar;
    }, model.trainableVariables());
    expect(Object.keys(grads)).toHaveLength(model.parameters.size);
    for (const g of Object.values(grads)) {
      const data = g.dataSync();
      expect(data.every(Number.isFinite)).toBe(true);
      expect(data.some((v) => v !== 0)).toBe(true);
    }
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("matches finite differences of the float64 reference (summed response log-prob)", () => {
    const config = TINY_GQA;
    const weights = randomWeights(config, 24);
    const model = DecoderModel.fromWeights(config, weights);
    const sum = (w: ReadonlyMap<string, PlainWeight>): number =>
      referenceLogProbs(config, w, SEQUENCES, PROMPTS)
        .flat()
        .reduce((a, b) => a + b, 0);
    const { grads } = tf.variableGrads(() => {
      const { logProbs } = model.logProbs({ sequences: SEQUENCES, promptLengths: PROMPTS });
      return tf.sum(logProbs) as tf.Scalar;
    }, model.trainableVariables());
    const names = [...model.parameters.keys()];
    const probes: [string, number][] = [
      ["model.embed_tokens.weight", 5 * 16 + 3], // token 5's embedding (input and tied head)
      ["model.layers.0.self_attn.q_proj.weight", 17],
      ["model.layers.0.self_attn.k_proj.bias", 3],
      ["model.layers.1.self_attn.v_proj.weight", 40],
      ["model.layers.1.self_attn.o_proj.weight", 7],
      ["model.layers.0.mlp.gate_proj.weight", 100],
      ["model.layers.1.mlp.down_proj.weight", 33],
      ["model.layers.0.input_layernorm.weight", 2],
      ["model.norm.weight", 9],
    ];
    for (const [name, index] of probes) {
      const gradient = grads[model.parameters.get(name)!.name]!.dataSync()[index]!;
      const original = weights.get(name)!.data[index]!;
      const plus = new Map(weights);
      const minus = new Map(weights);
      const up = Float32Array.from(weights.get(name)!.data);
      const down = Float32Array.from(up);
      up[index] = original + 1e-3;
      down[index] = original - 1e-3;
      plus.set(name, { ...weights.get(name)!, data: up });
      minus.set(name, { ...weights.get(name)!, data: down });
      // Divide by the perturbation float32 actually stored.
      const numeric = (sum(plus) - sum(minus)) / (up[index]! - down[index]!);
      expect(Math.abs(gradient - numeric), `${name}[${index}]: ${gradient} vs ${numeric}`).toBeLessThan(
        2e-3 * Math.max(1, Math.abs(numeric)),
      );
    }
    expect(names).toContain("model.norm.weight");
    tf.dispose(Object.values(grads));
    model.dispose();
  });

  it("validates its input", () => {
    const model = DecoderModel.create(TINY_GQA, { seed: 1 });
    expect(() => model.logProbs({ sequences: [[1, 2]], promptLengths: [0] })).toThrow(
      /promptLengths\[0\] = 0/,
    );
    expect(() => model.logProbs({ sequences: [[1, 2]], promptLengths: [2] })).toThrow(
      /no sequence has a response/,
    );
    expect(() => model.logProbs({ sequences: [[1, 2]], promptLengths: [1, 1] })).toThrow(PolicyError);
    expect(() => model.logProbs({ sequences: [], promptLengths: [] })).toThrow(/empty/);
    model.dispose();
  });
});

describe("logProbs across backends", () => {
  it("gives the same gradients on wasm as on cpu", async () => {
    const weights = randomWeights(TINY_GQA, 25);
    const gradsOn = async (backend: "cpu" | "wasm"): Promise<number[][]> => {
      await useBackend(backend);
      const model = DecoderModel.fromWeights(TINY_GQA, weights);
      const { grads } = tf.variableGrads(() => {
        const { logProbs } = model.logProbs({ sequences: SEQUENCES, promptLengths: PROMPTS });
        return tf.sum(logProbs) as tf.Scalar;
      }, model.trainableVariables());
      const out = model.trainableVariables().map((v) => Array.from(grads[v.name]!.dataSync()));
      tf.dispose(Object.values(grads));
      model.dispose();
      return out;
    };
    const cpu = await gradsOn("cpu");
    const wasm = await gradsOn("wasm");
    expect(maxAbsDiff(cpu, wasm)).toBeLessThan(1e-4);
  });
});
