import { z } from "zod";

// Request bodies of the Tinker API as SkyRL's pydantic models declare them (spec tinker-api.md §2). zod strips
// unknown keys, as pydantic ignores them; types are JSON's (no "5" for 5). Every number must be finite: JSON.parse
// turns 1e400 into Infinity, which no field accepts.

/** Checkpoint names, model ids in paths: SkyRL's ID_PATTERN and ID_MAX_LENGTH. */
export const ID_PATTERN = /^[a-zA-Z0-9_-]+$/;
export const ID_MAX_LENGTH = 255;

const int = z.number().int();
const nullableInt = int.nullish().transform((v) => v ?? null);
const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
const checkpointName = z
  .string()
  .max(ID_MAX_LENGTH)
  .regex(ID_PATTERN, `String should match pattern '${ID_PATTERN.source}'`);

export const CreateSessionRequest = z.object({
  tags: z.array(z.string()),
  user_metadata: z.record(z.string(), z.unknown()).nullish(),
  sdk_version: z.string(),
});

export const SessionIdRequest = z.object({ session_id: z.string() });
export const ModelIdRequest = z.object({ model_id: z.string() });

export const CreateModelRequest = z.object({
  session_id: z.string(),
  base_model: z.string(),
  lora_config: z.object({ rank: int, seed: nullableInt }),
  model_role: z.string().default("policy"),
});

const EncodedTextChunk = z.object({ type: z.literal("encoded_text"), tokens: z.array(int) });
const ImageChunk = z.object({
  type: z.literal("image"),
  data: z.string(),
  format: z.enum(["png", "jpeg"]),
  expected_tokens: nullableInt,
});
const ImageAssetPointerChunk = z.object({
  type: z.literal("image_asset_pointer"),
  format: z.enum(["png", "jpeg"]),
  location: z.string().min(1),
  expected_tokens: nullableInt,
});

/** SkyRL infers a chunk's kind from its keys when `type` is missing; more than one candidate key is an error. */
const Chunk = z.preprocess(
  (value, ctx) => {
    if (typeof value !== "object" || value === null || Array.isArray(value) || "type" in value) return value;
    const kinds = [
      ["tokens", "encoded_text"],
      ["location", "image_asset_pointer"],
      ["data", "image"],
    ].filter(([key]) => key! in value);
    if (kinds.length > 1) {
      ctx.addIssue({
        code: "custom",
        message:
          "Ambiguous model chunk type: must be exactly one of 'encoded_text', 'image_asset_pointer', or 'image'",
      });
      return value;
    }
    return { ...value, type: kinds[0]?.[1] ?? "encoded_text" };
  },
  z.discriminatedUnion("type", [EncodedTextChunk, ImageChunk, ImageAssetPointerChunk]),
);
export type ChunkInput =
  | z.infer<typeof EncodedTextChunk>
  | z.infer<typeof ImageChunk>
  | z.infer<typeof ImageAssetPointerChunk>;

export const ModelInput = z.object({ chunks: z.array(Chunk) });

/** A flat tensor; extra keys (`dtype`, `shape`) are dropped. */
const TensorData = z.object({ data: z.array(z.number()) });

const Datum = z
  .object({
    model_input: ModelInput,
    loss_fn_inputs: z.record(z.string(), TensorData),
  })
  .superRefine((datum, ctx) => {
    // SkyRL crashes (500) without it; a 422 that says so is kinder.
    if (!("target_tokens" in datum.loss_fn_inputs)) {
      ctx.addIssue({ code: "custom", path: ["loss_fn_inputs", "target_tokens"], message: "Field required" });
    }
  });
export type DatumInput = z.infer<typeof Datum>;

export const LOSS_FUNCTIONS = [
  "cross_entropy",
  "importance_sampling",
  "ppo",
  "gspo",
  "cispo",
  "ppo_critic",
  "dppo",
] as const;
export type LossFunction = (typeof LOSS_FUNCTIONS)[number];

const ALLOWED_CONFIG_KEYS: Record<LossFunction, readonly string[]> = {
  cross_entropy: [],
  importance_sampling: [],
  ppo: ["clip_low_threshold", "clip_high_threshold", "value_clip"],
  gspo: ["clip_low_threshold", "clip_high_threshold"],
  cispo: ["clip_low_threshold", "clip_high_threshold"],
  ppo_critic: ["value_clip"],
  dppo: ["delta_low", "delta_high"],
};

export const ForwardBackwardInput = z
  .object({
    data: z.array(Datum),
    loss_fn: z.enum(LOSS_FUNCTIONS),
    loss_fn_config: z
      .record(z.string(), z.number())
      .nullish()
      .transform((v) => v ?? null),
  })
  .superRefine((input, ctx) => {
    if (input.loss_fn_config === null) return;
    const allowed = ALLOWED_CONFIG_KEYS[input.loss_fn];
    const invalid = Object.keys(input.loss_fn_config)
      .filter((key) => !allowed.includes(key))
      .sort();
    if (invalid.length === 0) return;
    ctx.addIssue({
      code: "custom",
      path: ["loss_fn_config"],
      message:
        allowed.length > 0
          ? `Invalid loss_fn_config keys for loss_fn='${input.loss_fn}': ${JSON.stringify(invalid)}. Allowed keys: ${JSON.stringify([...allowed].sort())}.`
          : `loss_fn='${input.loss_fn}' does not accept loss_fn_config keys. Received: ${JSON.stringify(invalid)}.`,
    });
  });
export type ForwardBackwardInputValue = z.infer<typeof ForwardBackwardInput>;

export const ForwardRequest = z.object({
  model_id: z.string(),
  forward_input: ForwardBackwardInput,
  seq_id: nullableInt,
});
export const ForwardBackwardRequest = z.object({
  model_id: z.string(),
  forward_backward_input: ForwardBackwardInput,
  seq_id: nullableInt,
});

/** Tinker's AdamParams with SkyRL's defaults, plus the hosted SDK's `grad_clip_norm` (0 = no clipping). */
export const AdamParams = z.object({
  learning_rate: z.number().min(0).default(1e-4),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  eps: z.number().gt(0).default(1e-12),
  weight_decay: z.number().min(0).default(0),
  grad_clip_norm: z
    .number()
    .min(0)
    .nullish()
    .transform((v) => v ?? 0),
});
export type AdamParamsValue = z.infer<typeof AdamParams>;

export const OptimStepRequest = z.object({
  model_id: z.string(),
  adam_params: AdamParams,
  seq_id: nullableInt,
});

export const SaveWeightsRequest = z.object({ model_id: z.string(), path: checkpointName });

export const SaveWeightsForSamplerRequest = z
  .object({
    model_id: z.string(),
    path: checkpointName.nullish().transform((v) => v ?? null),
    sampling_session_seq_id: nullableInt,
    seq_id: nullableInt,
  })
  .superRefine((request, ctx) => {
    if (!request.path && (request.sampling_session_seq_id === null || request.seq_id === null)) {
      ctx.addIssue({
        code: "custom",
        message: "Either 'path' or both 'sampling_session_seq_id' and 'seq_id' must be provided",
      });
    }
  });

export const LoadWeightsRequest = z.object({
  model_id: z.string(),
  path: z.string(),
  optimizer: z.boolean().default(true),
  seq_id: nullableInt,
});

export const CreateSamplingSessionRequest = z.object({
  session_id: z.string(),
  sampling_session_seq_id: int,
  base_model: nullableString,
  model_path: nullableString,
});

const SamplingParams = z.object({
  max_tokens: nullableInt,
  seed: nullableInt,
  // Mixed ids and strings pass here and get SkyRL's 400 from the route.
  stop: z
    .array(z.union([int, z.string()]))
    .nullish()
    .transform((v) => v ?? null),
  temperature: z.number().default(1),
  top_k: int.default(-1),
  top_p: z.number().default(1),
});

export const SampleRequest = z
  .object({
    num_samples: int.default(1),
    prompt: ModelInput,
    sampling_params: SamplingParams,
    base_model: nullableString,
    model_path: nullableString,
    sampling_session_id: nullableString,
    seq_id: nullableInt,
    prompt_logprobs: z
      .boolean()
      .nullish()
      .transform((v) => v ?? null),
    topk_prompt_logprobs: int.min(0).default(0),
  })
  .superRefine((request, ctx) => {
    if (request.sampling_session_id !== null) {
      if (request.seq_id === null) {
        ctx.addIssue({
          code: "custom",
          message: "'seq_id' must be provided when 'sampling_session_id' is used",
        });
      }
      return;
    }
    if ((request.base_model === null) === (request.model_path === null)) {
      ctx.addIssue({
        code: "custom",
        message:
          "When 'sampling_session_id' is not provided, exactly one of 'base_model' or 'model_path' must be provided",
      });
    }
  });
export type SampleRequestValue = z.infer<typeof SampleRequest>;

export const RetrieveFutureRequest = z.object({
  request_id: z.string().regex(/^\d{1,15}$/, "request_id must be a future id: a decimal integer in a string"),
});

export const WeightsInfoRequest = z.object({ tinker_path: z.string() });

export const PathId = checkpointName;
