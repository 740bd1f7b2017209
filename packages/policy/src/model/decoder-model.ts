import { tf } from "@hdpo/tensor";
import {
  headDimOf,
  type ModelConfig,
  type ModelConfigInput,
  ModelConfigSchema,
  parameterShapes,
} from "../model-config";
import { PolicyError } from "../policy-error";
import { attend } from "./attention";
import { type AttentionMask, causalPaddingMask, decodeStepMask } from "./attention-mask";
import { type GeneratedSequence, type GenerateOptions, generate } from "./generate";
import {
  type SequenceBatch,
  type SequenceLogProbs,
  type SequenceLogProbsOptions,
  sequenceLogProbs,
} from "./log-probs";
import { Prng } from "./prng";
import { rotaryTables, rotateHalfMatrix } from "./rotary";
import { embed, linear, matMulByConstant, rmsNorm, silu } from "./tensor-ops";

/** A parameter as plain data, row-major, in the shape `parameterShapes` gives (the checkpoint form). */
export interface PlainWeight {
  shape: readonly number[];
  data: Float32Array;
}

/** One layer's keys and values after RoPE, `[B·Hkv, S, headDim]`. */
export type LayerCache = {
  keys: tf.Tensor3D;
  values: tf.Tensor3D;
};

/**
 * The KV cache of a batch being generated: a right-padded prefill block of `prefillLength` columns
 * (row b's prompt in its first `promptLengths[b]`), then `steps` generated columns shared by all rows.
 */
export interface DecodeState {
  layers: LayerCache[];
  promptLengths: number[];
  prefillLength: number;
  steps: number;
}

/** Where a batch of tokens sits: rows, tokens per row, each token's position, and which keys each query sees. */
interface TokenLayout {
  rows: number;
  time: number;
  positions: number[];
  mask: AttentionMask;
}

/** The initial standard deviation of every matrix (transformers' `initializer_range` default). */
export const INITIALIZER_RANGE = 0.02;

/**
 * A Qwen2-shaped decoder-only language model on tfjs: token embedding, `num_hidden_layers` × [RMSNorm →
 * grouped-query self-attention with RoPE (and q/k/v biases when `attention_bias`) → residual → RMSNorm →
 * SwiGLU MLP → residual], final RMSNorm, LM head (tied to the embedding unless `lm_head.weight` exists).
 * Parameters are `tf.Variable`s under their Hugging Face names.
 */
export class DecoderModel {
  /** The parsed config. */
  readonly config: ModelConfig;
  /** Every parameter under its Hugging Face name, the order of `parameterShapes(config)`. */
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /** The rotate-half matrix, made once with the model so that memory stays flat across calls. */
  private readonly rotateHalf: tf.Tensor2D;
  private disposed = false;

  private constructor(config: ModelConfig, parameters: Map<string, tf.Variable>) {
    this.config = config;
    this.parameters = parameters;
    const headDim = headDimOf(config);
    this.rotateHalf = tf.tensor2d(rotateHalfMatrix(headDim), [headDim, headDim]);
  }

  /**
   * A freshly initialised model: every matrix (the embedding included) drawn from normal(0, 0.02) by a
   * generator seeded with `seed`, norms ones, biases zeros. The same seed gives the same weights on
   * every backend.
   */
  static create(config: ModelConfigInput | ModelConfig, options: { seed: number }): DecoderModel {
    const parsed = parseConfig(config);
    if (!Number.isFinite(options.seed)) {
      throw new PolicyError(`DecoderModel.create: seed must be a finite number, got ${options.seed}`);
    }
    const prng = new Prng(options.seed);
    const weights = new Map<string, PlainWeight>();
    for (const [name, shape] of parameterShapes(parsed)) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (name.endsWith("norm.weight")) data.fill(1);
      else if (!name.endsWith(".bias"))
        for (let i = 0; i < data.length; i++) data[i] = prng.normal() * INITIALIZER_RANGE;
      weights.set(name, { shape, data });
    }
    return DecoderModel.fromWeights(parsed, weights);
  }

  /**
   * A model holding copies of `weights` (e.g. read from a checkpoint). Every parameter of
   * `parameterShapes(config)` must be present with its exact shape and finite data; extra names are
   * refused too, so that a checkpoint of another shape cannot load half-way.
   */
  static fromWeights(
    config: ModelConfigInput | ModelConfig,
    weights: ReadonlyMap<string, PlainWeight>,
  ): DecoderModel {
    const parsed = parseConfig(config);
    const expected = parameterShapes(parsed);
    checkWeights(expected, weights);
    const parameters = new Map<string, tf.Variable>();
    for (const [name, shape] of expected) {
      const data = Float32Array.from(weights.get(name)!.data);
      const initial = tf.tensor(data, shape, "float32");
      parameters.set(name, tf.variable(initial, true));
      initial.dispose(); // the variable shares its data (reference counted)
    }
    return new DecoderModel(parsed, parameters);
  }

  /** Copies of every parameter as plain data under its Hugging Face name (the checkpoint form). */
  weights(): Map<string, PlainWeight> {
    this.assertLive();
    const out = new Map<string, PlainWeight>();
    for (const [name, variable] of this.parameters) {
      out.set(name, {
        shape: [...variable.shape],
        data: Float32Array.from(variable.dataSync() as Float32Array),
      });
    }
    return out;
  }

  /**
   * Overwrites every parameter with `weights` (e.g. a saved training state), checked as {@link fromWeights} checks
   * them; the variables stay the same objects, so an optimizer keeps tracking them.
   */
  setWeights(weights: ReadonlyMap<string, PlainWeight>): void {
    this.assertLive();
    checkWeights(parameterShapes(this.config), weights);
    for (const [name, variable] of this.parameters) {
      const weight = weights.get(name)!;
      tf.tidy(() => variable.assign(tf.tensor(Float32Array.from(weight.data), variable.shape, "float32")));
    }
  }

  /** The parameters as a list, e.g. for `optimizer.minimize(f, true, model.trainableVariables())`. */
  trainableVariables(): tf.Variable[] {
    this.assertLive();
    return [...this.parameters.values()];
  }

  /** Frees every variable; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const variable of this.parameters.values()) variable.dispose();
    this.rotateHalf.dispose();
  }

  /**
   * Logits `[B, T, V]` for right-padded `ids` (`B` rows of equal length `T`), row b's real tokens being
   * its first `lengths[b]`. Attention is causal and never looks at padding; the logits at padded
   * positions are computed but meaningless. Differentiable with respect to the parameters.
   */
  forward(ids: readonly (readonly number[])[], attention: { lengths: readonly number[] }): tf.Tensor3D {
    const time = this.validateBatch(ids, attention.lengths, "forward");
    return tf.tidy(() => {
      const hidden = this.hiddenStates(ids, attention.lengths, time);
      return tf.reshape(this.logitsOf(hidden), [ids.length, time, this.config.vocab_size]);
    });
  }

  /** Teacher-forced log-probs of each sequence's response tokens; see `sequenceLogProbs`. Differentiable. */
  logProbs(batch: SequenceBatch, options: SequenceLogProbsOptions = {}): SequenceLogProbs {
    this.assertLive();
    return sequenceLogProbs(this, batch, options);
  }

  /** Samples continuations of `prompts` with a KV cache; see `generate`. */
  generate(prompts: readonly (readonly number[])[], options: GenerateOptions): GeneratedSequence[] {
    this.assertLive();
    return generate(this, prompts, options);
  }

  /**
   * Final-norm hidden states `[B·T, d]` of a right-padded batch (rows of `time` tokens). For callers that
   * compute logits for part of the positions only. Differentiable.
   */
  hiddenStates(ids: readonly (readonly number[])[], lengths: readonly number[], time: number): tf.Tensor2D {
    const { kvHeads, group } = this.heads();
    const layout: TokenLayout = {
      rows: ids.length,
      time,
      positions: ids.flatMap(() => Array.from({ length: time }, (_, t) => t)),
      mask: causalPaddingMask(lengths, time, kvHeads, group),
    };
    return this.run(ids.flat(), layout).hidden;
  }

  /** LM-head logits `[N, V]` of final-norm hidden states `[N, d]`. */
  logitsOf(hidden: tf.Tensor2D): tf.Tensor2D {
    const head = this.parameters.get("lm_head.weight") ?? this.param("model.embed_tokens.weight");
    return linear(hidden, head);
  }

  /**
   * Runs right-padded prompts through the model and returns the logits `[B, V]` at each prompt's last
   * token plus the KV cache to continue from. The caller owns both (dispose the state with
   * `disposeDecodeState`).
   */
  prefill(prompts: readonly (readonly number[])[]): { logits: tf.Tensor2D; state: DecodeState } {
    const lengths = prompts.map((p) => p.length);
    const time = Math.max(...lengths);
    const padded = prompts.map((p) => [...p, ...new Array<number>(time - p.length).fill(0)]);
    this.validateBatch(padded, lengths, "prefill");
    const { kvHeads, group } = this.heads();
    const result = tf.tidy(() => {
      const layout: TokenLayout = {
        rows: prompts.length,
        time,
        positions: prompts.flatMap(() => Array.from({ length: time }, (_, t) => t)),
        mask: causalPaddingMask(lengths, time, kvHeads, group),
      };
      const { hidden, caches } = this.run(padded.flat(), layout);
      const last = tf.tensor1d(
        lengths.map((length, b) => b * time + length - 1),
        "int32",
      );
      const logits = this.logitsOf(tf.gather(hidden, last));
      return { logits, caches };
    });
    return {
      logits: result.logits,
      state: { layers: result.caches, promptLengths: lengths, prefillLength: time, steps: 0 },
    };
  }

  /**
   * One decoding step: `tokens[b]` is appended to row b of `state` (at position `promptLengths[b] +
   * steps`). Returns the logits `[B, V]` for the next token and the grown state; `state` itself is
   * disposed.
   */
  decodeStep(state: DecodeState, tokens: readonly number[]): { logits: tf.Tensor2D; state: DecodeState } {
    if (tokens.length !== state.promptLengths.length) {
      throw new PolicyError(
        `decodeStep: got ${tokens.length} tokens for a state of ${state.promptLengths.length} rows; pass one token per row`,
      );
    }
    this.validateIds(tokens, "decodeStep");
    const { kvHeads, group } = this.heads();
    const cacheLength = state.prefillLength + state.steps + 1;
    const result = tf.tidy(() => {
      const layout: TokenLayout = {
        rows: tokens.length,
        time: 1,
        positions: state.promptLengths.map((length) => length + state.steps),
        mask: decodeStepMask(state.promptLengths, state.prefillLength, cacheLength, kvHeads, group),
      };
      const { hidden, caches } = this.run(tokens, layout, state.layers);
      return { logits: this.logitsOf(hidden), caches };
    });
    disposeDecodeState(state);
    return {
      logits: result.logits,
      state: { ...state, layers: result.caches, steps: state.steps + 1 },
    };
  }

  /** The state restricted to the rows `keep` (in that order); `state` itself is disposed. */
  selectRows(state: DecodeState, keep: readonly number[]): DecodeState {
    const { kvHeads } = this.heads();
    const headDim = headDimOf(this.config);
    const length = state.prefillLength + state.steps;
    const rows = tf.tensor1d(keep as number[], "int32");
    const pick = (t: tf.Tensor3D): tf.Tensor3D =>
      tf.tidy(() =>
        tf.reshape(tf.gather(tf.reshape(t, [state.promptLengths.length, kvHeads * length * headDim]), rows), [
          keep.length * kvHeads,
          length,
          headDim,
        ]),
      );
    const layers = state.layers.map((layer) => ({ keys: pick(layer.keys), values: pick(layer.values) }));
    rows.dispose();
    disposeDecodeState(state);
    return { ...state, layers, promptLengths: keep.map((b) => state.promptLengths[b]!) };
  }

  private run(
    ids: readonly number[],
    layout: TokenLayout,
    past?: LayerCache[],
  ): { hidden: tf.Tensor2D; caches: LayerCache[] } {
    const c = this.config;
    const tokens = ids.length;
    const headDim = headDimOf(c);
    const { heads, kvHeads, group } = this.heads();
    const idTensor = tf.tensor1d(ids as number[], "int32");
    let x = embed(this.param("model.embed_tokens.weight"), idTensor);
    const qTables = rotaryTables(layout.positions, heads, headDim, c.rope_theta, 1 / Math.sqrt(headDim));
    const kTables = rotaryTables(layout.positions, kvHeads, headDim, c.rope_theta);
    const qCos = tf.tensor2d(qTables.cos, [tokens * heads, headDim]);
    const qSin = tf.tensor2d(qTables.sin, [tokens * heads, headDim]);
    const kCos = tf.tensor2d(kTables.cos, [tokens * kvHeads, headDim]);
    const kSin = tf.tensor2d(kTables.sin, [tokens * kvHeads, headDim]);
    const rotate = this.rotateHalf;
    const rope = (t: tf.Tensor2D, cos: tf.Tensor2D, sin: tf.Tensor2D, count: number): tf.Tensor2D => {
      const rows = tf.reshape(t, [tokens * count, headDim]) as tf.Tensor2D;
      return tf.add(tf.mul(rows, cos), tf.mul(matMulByConstant(rows, rotate), sin));
    };
    // [N, Hkv·G·d] → [B·Hkv, T·G, d]: the G query heads sharing a key/value head attend as one block, so
    // grouped-query attention needs no repeated keys.
    const toBlocks = (t: tf.Tensor2D, perToken: number): tf.Tensor3D =>
      tf.reshape(
        tf.transpose(tf.reshape(t, [layout.rows, layout.time, kvHeads, perToken * headDim]), [0, 2, 1, 3]),
        [layout.rows * kvHeads, layout.time * perToken, headDim],
      );
    const caches: LayerCache[] = [];
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const p = `model.layers.${i}`;
      const h = rmsNorm(x, this.param(`${p}.input_layernorm.weight`), c.rms_norm_eps);
      const q = linear(
        h,
        this.param(`${p}.self_attn.q_proj.weight`),
        this.parameters.get(`${p}.self_attn.q_proj.bias`),
      );
      const k = linear(
        h,
        this.param(`${p}.self_attn.k_proj.weight`),
        this.parameters.get(`${p}.self_attn.k_proj.bias`),
      );
      const v = linear(
        h,
        this.param(`${p}.self_attn.v_proj.weight`),
        this.parameters.get(`${p}.self_attn.v_proj.bias`),
      );
      const qBlocks = toBlocks(rope(q, qCos, qSin, heads), group);
      let keys = toBlocks(rope(k, kCos, kSin, kvHeads), 1);
      let values = toBlocks(v, 1);
      if (past !== undefined) {
        keys = tf.concat([past[i]!.keys, keys], 1);
        values = tf.concat([past[i]!.values, values], 1);
      }
      caches.push({ keys, values });
      const context = attend(qBlocks, keys, values, layout.mask);
      const merged = tf.reshape(
        tf.transpose(tf.reshape(context, [layout.rows, kvHeads, layout.time, group * headDim]), [0, 2, 1, 3]),
        [tokens, heads * headDim],
      ) as tf.Tensor2D;
      x = tf.add(x, linear(merged, this.param(`${p}.self_attn.o_proj.weight`)));
      const h2 = rmsNorm(x, this.param(`${p}.post_attention_layernorm.weight`), c.rms_norm_eps);
      const gate = silu(linear(h2, this.param(`${p}.mlp.gate_proj.weight`)));
      const up = linear(h2, this.param(`${p}.mlp.up_proj.weight`));
      x = tf.add(x, linear(tf.mul(gate, up), this.param(`${p}.mlp.down_proj.weight`)));
    }
    return { hidden: rmsNorm(x, this.param("model.norm.weight"), c.rms_norm_eps), caches };
  }

  private heads(): { heads: number; kvHeads: number; group: number } {
    const heads = this.config.num_attention_heads;
    const kvHeads = this.config.num_key_value_heads;
    return { heads, kvHeads, group: heads / kvHeads };
  }

  private param(name: string): tf.Variable {
    const variable = this.parameters.get(name);
    if (variable === undefined) throw new PolicyError(`internal: parameter ${name} is missing`);
    return variable;
  }

  private assertLive(): void {
    if (this.disposed) throw new PolicyError("This DecoderModel was disposed; create or load a new one");
  }

  /** Checks a right-padded batch and returns its width T. */
  private validateBatch(
    ids: readonly (readonly number[])[],
    lengths: readonly number[],
    what: string,
  ): number {
    this.assertLive();
    if (ids.length === 0)
      throw new PolicyError(`${what}: the batch is empty; pass at least one row of token ids`);
    if (lengths.length !== ids.length) {
      throw new PolicyError(
        `${what}: got ${lengths.length} lengths for ${ids.length} rows; pass one length per row`,
      );
    }
    const time = ids[0]!.length;
    ids.forEach((row, b) => {
      if (row.length !== time) {
        throw new PolicyError(
          `${what}: row ${b} has ${row.length} ids but row 0 has ${time}; right-pad every row to the same width`,
        );
      }
      const length = lengths[b]!;
      if (!Number.isInteger(length) || length < 1 || length > time) {
        throw new PolicyError(`${what}: lengths[${b}] = ${length} must be an integer in [1, ${time}]`);
      }
      this.validateIds(row, what);
    });
    return time;
  }

  private validateIds(ids: readonly number[], what: string): void {
    const vocab = this.config.vocab_size;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new PolicyError(`${what}: token id ${id} is not an integer in [0, ${vocab}) (vocab_size)`);
      }
    }
  }
}

/** Throws unless `weights` hold exactly the parameters of `expected`, each with its shape and finite data. */
function checkWeights(
  expected: ReadonlyMap<string, readonly number[]>,
  weights: ReadonlyMap<string, PlainWeight>,
): void {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const weight = weights.get(name);
    if (weight === undefined) {
      problems.push(`${name} is missing (expected shape [${shape}])`);
      continue;
    }
    if (weight.shape.length !== shape.length || weight.shape.some((s, i) => s !== shape[i])) {
      problems.push(`${name} has shape [${weight.shape}], expected [${shape}]`);
    } else if (weight.data.length !== shape.reduce((a, b) => a * b, 1)) {
      problems.push(`${name} has ${weight.data.length} values for shape [${shape}]`);
    } else if (!weight.data.every(Number.isFinite)) {
      problems.push(`${name} holds non-finite values`);
    }
  }
  for (const name of weights.keys()) {
    if (!expected.has(name)) problems.push(`${name} is not a parameter of this config`);
  }
  if (problems.length > 0) {
    throw new PolicyError(
      `The weights do not fit the config (${problems.length} problem(s)): ${problems.join("; ")}. Check that the checkpoint was written for this config.json (hidden_size, layers, heads, vocab_size, tie_word_embeddings, attention_bias).`,
    );
  }
}

/** Frees the tensors of a decode state. */
export function disposeDecodeState(state: DecodeState): void {
  for (const layer of state.layers) tf.dispose([layer.keys, layer.values]);
}

function parseConfig(config: ModelConfigInput | ModelConfig): ModelConfig {
  const parsed = ModelConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new PolicyError(
      `Invalid model config: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}
