import { z } from "zod";

/**
 * The protocol this client was written against: the Tinker training API as SkyRL serves it at this commit
 * (JSON only; see the project's spec of the Tinker API). Servers that drift from it are reported, not adapted to.
 */
export const TINKER_PROTOCOL_VERSION = "skyrl@a9564572e";

/** The `sdk_version` this client announces in `create_session` (the server only stores it). */
export const TINKER_CLIENT_SDK_VERSION = `hdpo-tinker-client/0.0.0 (${TINKER_PROTOCOL_VERSION})`;

/** Base path of every route. */
export const API_PREFIX = "/api/v1";

// Caps on what a server may send back: the bytes are hostile until checked, and a reply far larger than any
// request could justify is a broken or malicious server, not data to hold in memory.
const MAX_ID_LENGTH = 256;
const MAX_ITEMS = 1 << 24;

/** Ids the server hands out (sessions, models, futures, sampling sessions): short printable tokens. */
const idString = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .refine((value) => isPrintableAscii(value), "not a printable ASCII id");

const finiteNumber = z.number().finite();
const tokenId = z.number().int().nonnegative();

/** `{"detail": "..."}` or FastAPI's 422 list. */
export const ErrorBodySchema = z.object({
  detail: z.union([
    z.string(),
    z.array(
      z.object({ msg: z.string().optional(), loc: z.array(z.union([z.string(), z.number()])).optional() }),
    ),
  ]),
});

export const HealthSchema = z.object({ status: z.string() });

export const CapabilitiesSchema = z.object({
  supported_models: z.array(z.object({ model_name: z.string().max(1024) })).max(10_000),
  /** Our own servers' extension: which Adam fields and temperature they honour. */
  hdpo: z
    .object({
      adam_params: z.enum(["all", "learning-rate"]),
      grad_clip_norm: z.boolean(),
      temperature: finiteNumber.positive(),
    })
    .optional(),
});
export type ServerCapabilities = z.infer<typeof CapabilitiesSchema>;

export const CreateSessionSchema = z.object({ session_id: idString });

/** The immediate answer of `create_model` (not a FutureResponse). */
export const CreateModelSchema = z.object({ model_id: idString, request_id: idString });

/** The result of the `create_model` future. */
export const CreateModelResultSchema = z.object({ model_id: idString });

/** What every asynchronous POST answers. */
export const FutureResponseSchema = z.object({ request_id: idString });

/** `retrieve_future`'s 200 body while the work is still running (hosted Tinker; SkyRL answers 408 instead). */
export const TryAgainSchema = z.object({ type: z.literal("try_again") });

const tensorData = z.object({ data: z.array(finiteNumber).max(MAX_ITEMS) });

export const ForwardResultSchema = z.object({
  loss_fn_outputs: z.array(z.record(z.string(), tensorData)).max(MAX_ITEMS),
  metrics: z.record(z.string(), finiteNumber).optional(),
});
export type ForwardResult = z.infer<typeof ForwardResultSchema>;

export const OptimStepResultSchema = z.object({
  metrics: z.record(z.string(), finiteNumber).nullish(),
});

export const SaveWeightsResultSchema = z.object({ path: z.string().min(1).max(4096) });

export const SaveForSamplerResultSchema = z.object({
  path: z.string().max(4096).nullish(),
  sampling_session_id: idString.nullish(),
});

export const LoadWeightsResultSchema = z.object({}).loose();

export const SampleResultSchema = z.object({
  sequences: z
    .array(
      z.object({
        stop_reason: z.enum(["stop", "length"]),
        tokens: z.array(tokenId).max(MAX_ITEMS),
        logprobs: z.array(finiteNumber).max(MAX_ITEMS),
      }),
    )
    .max(MAX_ITEMS),
});

function isPrintableAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
