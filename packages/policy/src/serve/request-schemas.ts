import { z } from "zod";
import { OpenAiApiError } from "./openai-api-error";

const stopSchema = z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]).nullish();

/** Fields shared by both endpoints. Unknown fields are ignored, as OpenAI clients send extras (`user`, …). */
const samplingFields = {
  model: z.string().min(1),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: stopSchema,
  n: z.number().int().min(1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
};

const textPartSchema = z.object({ type: z.literal("text"), text: z.string() });
const imagePartSchema = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string().min(1) }),
});

/** One OpenAI chat message; `developer` is rendered as `system`, an assistant's null content as "". */
export const ChatMessageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z
    .union([z.string(), z.array(z.discriminatedUnion("type", [textPartSchema, imagePartSchema]))])
    .nullish(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
});

/** The body of `POST /v1/chat/completions` as far as this server reads it. */
export const ChatCompletionRequestSchema = z.object({
  ...samplingFields,
  messages: z.array(ChatMessageSchema).min(1),
  max_completion_tokens: z.number().int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  /** vLLM's: with `logprobs`, name each token `token_id:<id>` instead of its text. */
  return_tokens_as_token_ids: z.boolean().nullish(),
});
export type ChatCompletionRequest = z.output<typeof ChatCompletionRequestSchema>;
export type ChatMessage = z.output<typeof ChatMessageSchema>;

/** The body of `POST /v1/completions` as far as this server reads it. */
export const CompletionRequestSchema = z.object({
  ...samplingFields,
  /** A string, strings, token ids or lists of token ids: checked by `parseCompletionPrompts`, which knows the model. */
  prompt: z.unknown(),
  logprobs: z.number().int().min(0).max(20).nullish(),
  echo: z.boolean().nullish(),
  /** vLLM's: with `logprobs`, name each token `token_id:<id>` instead of its text. */
  return_tokens_as_token_ids: z.boolean().nullish(),
  /** vLLM's: add `token_ids` and `prompt_token_ids` to each choice. */
  return_token_ids: z.boolean().nullish(),
});
export type CompletionRequest = z.output<typeof CompletionRequestSchema>;

/** Parses `body` with `schema`, turning the first problem into a 400 that names the field. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw OpenAiApiError.badRequest("The request body must be a JSON object.");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.length === 0 ? null : issue.path.map(String).join(".");
  throw OpenAiApiError.badRequest(
    `Invalid request: ${param ?? "body"}: ${issue.message}. See the OpenAI API reference for the field's type.`,
    param,
    "invalid_value",
  );
}
