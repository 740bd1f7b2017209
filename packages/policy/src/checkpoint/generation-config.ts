import { z } from "zod";

const tokenIds = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative()).min(1)]);

/**
 * `generation_config.json` as `transformers` reads it. Defaults are those of `transformers.GenerationConfig`
 * (greedy unless `do_sample`; `top_k` 50 and `top_p` 1 apply only when sampling), so a file written by
 * `transformers` means the same here. Unknown fields (`transformers_version`, …) are kept.
 */
export const GenerationConfigSchema = z
  .object({
    bos_token_id: z.number().int().nonnegative().optional(),
    /** One id or several; generation stops at any of them. */
    eos_token_id: tokenIds.optional(),
    pad_token_id: z.number().int().nonnegative().optional(),
    do_sample: z.boolean().default(false),
    /** 0 means greedy even when sampling. */
    temperature: z.number().finite().nonnegative().default(1),
    top_p: z.number().gt(0).lte(1).default(1),
    /** 0 disables top-k filtering. */
    top_k: z.number().int().nonnegative().default(50),
    repetition_penalty: z.number().finite().positive().default(1),
    /** Tokens to generate beyond the prompt; takes precedence over max_length when both are set. */
    max_new_tokens: z.number().int().positive().optional(),
    /** Prompt plus generated tokens. */
    max_length: z.number().int().positive().default(20),
  })
  .passthrough();

/** A parsed `generation_config.json`, defaults filled. */
export type GenerationConfig = z.output<typeof GenerationConfigSchema>;
/** What `GenerationConfigSchema` accepts (defaulted fields optional). */
export type GenerationConfigInput = z.input<typeof GenerationConfigSchema>;
