import { z } from "zod";

/**
 * The model's sizes, in the Hugging Face Qwen2 `config.json` form, so that a checkpoint written here loads
 * in `transformers` and a real Qwen2-architecture checkpoint loads here. Only the fields the architecture
 * needs are required; unknown fields are kept (`passthrough`) so a round trip loses nothing.
 */
export const ModelConfigSchema = z
  .object({
    model_type: z.literal("qwen2").default("qwen2"),
    architectures: z.array(z.string()).default(["Qwen2ForCausalLM"]),
    vocab_size: z.number().int().positive(),
    hidden_size: z.number().int().positive(),
    intermediate_size: z.number().int().positive(),
    num_hidden_layers: z.number().int().positive(),
    num_attention_heads: z.number().int().positive(),
    num_key_value_heads: z.number().int().positive(),
    /** Defaults to hidden_size / num_attention_heads, as in transformers. */
    head_dim: z.number().int().positive().optional(),
    max_position_embeddings: z.number().int().positive(),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    tie_word_embeddings: z.boolean().default(true),
    /** Qwen2 has biases on the q, k and v projections and none elsewhere. */
    attention_bias: z.boolean().default(true),
    hidden_act: z.literal("silu").default("silu"),
    torch_dtype: z.enum(["float32", "float16", "bfloat16"]).default("float32"),
    bos_token_id: z.number().int().nonnegative().optional(),
    eos_token_id: z
      .union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())])
      .optional(),
  })
  .passthrough()
  .superRefine((c, ctx) => {
    if (c.num_attention_heads % c.num_key_value_heads !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["num_key_value_heads"],
        message: `num_attention_heads (${c.num_attention_heads}) must be a multiple of num_key_value_heads (${c.num_key_value_heads}) for grouped-query attention`,
      });
    }
    if (c.head_dim === undefined && c.hidden_size % c.num_attention_heads !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["hidden_size"],
        message: `hidden_size (${c.hidden_size}) must be divisible by num_attention_heads (${c.num_attention_heads}) when head_dim is not given`,
      });
    }
    const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
    if (headDim % 2 !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["head_dim"],
        message: `head_dim (${headDim}) must be even for rotary positions`,
      });
    }
  });
export type ModelConfig = z.output<typeof ModelConfigSchema>;
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/** head_dim as transformers derives it. */
export function headDimOf(config: ModelConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

/**
 * Every parameter of a Qwen2ForCausalLM with its shape, under the Hugging Face names. Linear weights are
 * `[out, in]` as in PyTorch (so a projection is `x · Wᵀ`). `lm_head.weight` exists only when the embeddings
 * are untied. This is the one contract between the model, the checkpoint reader/writer and the trainer.
 */
export function parameterShapes(config: ModelConfig): Map<string, number[]> {
  const d = config.hidden_size;
  const headDim = headDimOf(config);
  const q = config.num_attention_heads * headDim;
  const kv = config.num_key_value_heads * headDim;
  const shapes = new Map<string, number[]>();
  shapes.set("model.embed_tokens.weight", [config.vocab_size, d]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [d]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [q, d]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [kv, d]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [kv, d]);
    if (config.attention_bias) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [q]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [kv]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [kv]);
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [d, q]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [d]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [config.intermediate_size, d]);
    shapes.set(`${p}.mlp.up_proj.weight`, [config.intermediate_size, d]);
    shapes.set(`${p}.mlp.down_proj.weight`, [d, config.intermediate_size]);
  }
  shapes.set("model.norm.weight", [d]);
  if (!config.tie_word_embeddings) shapes.set("lm_head.weight", [config.vocab_size, d]);
  return shapes;
}
