import { headDimOf, type ModelConfig } from "../model-config";
import type { PlainWeight } from "./decoder-model";
import { inverseFrequencies } from "./rotary";

/**
 * The Qwen2 forward pass for one unpadded sequence in plain float64 TypeScript, written as transformers
 * writes it (repeat_kv, rotate_half, softmax with a causal mask), independent of the tensor version's
 * layout tricks. Returns logits `[T][V]`. For tests; slow.
 */
export function referenceForward(
  config: ModelConfig,
  weights: ReadonlyMap<string, PlainWeight>,
  ids: readonly number[],
): number[][] {
  const d = config.hidden_size;
  const headDim = headDimOf(config);
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads;
  const w = (name: string): Float32Array => {
    const weight = weights.get(name);
    if (weight === undefined) throw new Error(`referenceForward: missing ${name}`);
    return weight.data;
  };
  const matVec = (
    m: Float32Array,
    rows: number,
    cols: number,
    x: readonly number[],
    bias?: Float32Array,
  ): number[] =>
    Array.from({ length: rows }, (_, r) => {
      let s = bias === undefined ? 0 : bias[r]!;
      for (let c = 0; c < cols; c++) s += m[r * cols + c]! * x[c]!;
      return s;
    });
  const rmsNorm = (x: readonly number[], weight: Float32Array): number[] => {
    const meanSquare = x.reduce((a, v) => a + v * v, 0) / x.length;
    const inv = 1 / Math.sqrt(meanSquare + config.rms_norm_eps);
    return x.map((v, i) => v * inv * weight[i]!);
  };
  const inv = inverseFrequencies(headDim, config.rope_theta);
  const rope = (x: readonly number[], position: number): number[] => {
    const half = headDim / 2;
    return x.map((v, i) => {
      const angle = position * inv[i % half]!;
      const rotated = i < half ? -x[i + half]! : x[i - half]!;
      return v * Math.cos(angle) + rotated * Math.sin(angle);
    });
  };
  const embedding = w("model.embed_tokens.weight");
  let states = ids.map((id) => Array.from(embedding.subarray(id * d, (id + 1) * d)));
  const bias = (name: string): Float32Array | undefined => weights.get(name)?.data;
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    const p = `model.layers.${layer}`;
    const normed = states.map((x) => rmsNorm(x, w(`${p}.input_layernorm.weight`)));
    const split = (v: number[], count: number): number[][] =>
      Array.from({ length: count }, (_, h) => v.slice(h * headDim, (h + 1) * headDim));
    const q = normed.map((x, t) =>
      split(
        matVec(w(`${p}.self_attn.q_proj.weight`), heads * headDim, d, x, bias(`${p}.self_attn.q_proj.bias`)),
        heads,
      ).map((head) => rope(head, t)),
    );
    const k = normed.map((x, t) =>
      split(
        matVec(
          w(`${p}.self_attn.k_proj.weight`),
          kvHeads * headDim,
          d,
          x,
          bias(`${p}.self_attn.k_proj.bias`),
        ),
        kvHeads,
      ).map((head) => rope(head, t)),
    );
    const v = normed.map((x) =>
      split(
        matVec(
          w(`${p}.self_attn.v_proj.weight`),
          kvHeads * headDim,
          d,
          x,
          bias(`${p}.self_attn.v_proj.bias`),
        ),
        kvHeads,
      ),
    );
    const attended = q.map((qt, t) => {
      const out: number[] = [];
      for (let h = 0; h < heads; h++) {
        const kvHead = Math.floor(h / (heads / kvHeads)); // repeat_kv
        const scores = Array.from({ length: t + 1 }, (_, j) => {
          let s = 0;
          for (let i = 0; i < headDim; i++) s += qt[h]![i]! * k[j]![kvHead]![i]!;
          return s / Math.sqrt(headDim);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let i = 0; i < headDim; i++) {
          out.push(exps.reduce((a, e, j) => a + (e / total) * v[j]![kvHead]![i]!, 0));
        }
      }
      return out;
    });
    states = states.map((x, t) => {
      const o = matVec(w(`${p}.self_attn.o_proj.weight`), d, heads * headDim, attended[t]!);
      return x.map((value, i) => value + o[i]!);
    });
    states = states.map((x) => {
      const h = rmsNorm(x, w(`${p}.post_attention_layernorm.weight`));
      const m = config.intermediate_size;
      const gate = matVec(w(`${p}.mlp.gate_proj.weight`), m, d, h);
      const up = matVec(w(`${p}.mlp.up_proj.weight`), m, d, h);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = matVec(w(`${p}.mlp.down_proj.weight`), d, m, act);
      return x.map((value, i) => value + down[i]!);
    });
  }
  const head = weights.get("lm_head.weight")?.data ?? embedding;
  return states.map((x) => matVec(head, config.vocab_size, d, rmsNorm(x, w("model.norm.weight"))));
}
