import type { GenerationJob } from "./generation-batcher";
import { OpenAiApiError } from "./openai-api-error";
import type { ServerContext } from "./server-context";

/** The request fields that decide how to generate. */
export interface SamplingRequest {
  model: string;
  max_tokens?: number | null | undefined;
  temperature?: number | null | undefined;
  top_p?: number | null | undefined;
  seed?: number | null | undefined;
  stop?: string | string[] | null | undefined;
  n?: number | null | undefined;
}

/** A checked request: the job to submit and how its rows map back to choices. */
export interface GenerationPlan {
  job: GenerationJob;
  /** Choices per prompt; row `p · n + i` is choice i of prompt p. */
  n: number;
  stop: string[];
  temperature: number;
  topP: number;
}

/** Rejects a request for another model with OpenAI's 404 `model_not_found`. */
export function checkModelName(context: ServerContext, model: string): void {
  if (model !== context.modelName) {
    throw new OpenAiApiError(
      404,
      `The model ${JSON.stringify(model)} does not exist; this server serves ${JSON.stringify(context.modelName)} (see GET /v1/models).`,
      "invalid_request_error",
      "model",
      "model_not_found",
    );
  }
}

/** The 400 for a prompt that leaves no room in the context, whether it came as text or as token ids. */
export function contextLengthExceeded(tokens: number, contextLength: number, param: string): OpenAiApiError {
  return OpenAiApiError.badRequest(
    `The prompt has ${tokens} tokens but the model's context (max_position_embeddings) is ${contextLength}; shorten it to at most ${contextLength - 1} tokens to leave room for the completion.`,
    param,
    "context_length_exceeded",
  );
}

/**
 * Resolves defaults and checks the limits: every prompt non-empty and, with `max_tokens`, within
 * max_position_embeddings; at most `maxBatchSize` rows; rows × max_tokens at most `maxRequestTokens`.
 */
export function planGeneration(
  context: ServerContext,
  prompts: readonly number[][],
  request: SamplingRequest,
  options: { promptParam: string; defaultMaxTokens: "context" | number },
): GenerationPlan {
  const contextLength = context.model.config.max_position_embeddings;
  const n = request.n ?? 1;
  const longest = Math.max(...prompts.map((p) => p.length));
  prompts.forEach((prompt, i) => {
    if (prompt.length === 0) {
      throw OpenAiApiError.badRequest(
        `Prompt ${i} encodes to no tokens; send at least one character.`,
        options.promptParam,
        "invalid_value",
      );
    }
  });
  if (longest >= contextLength) throw contextLengthExceeded(longest, contextLength, options.promptParam);
  const room = contextLength - longest;
  const fallback = options.defaultMaxTokens === "context" ? room : options.defaultMaxTokens;
  const maxTokens = request.max_tokens ?? Math.min(context.defaults.maxTokens ?? fallback, room);
  if (longest + maxTokens > contextLength) {
    throw OpenAiApiError.badRequest(
      `The prompt (${longest} tokens) plus max_tokens (${maxTokens}) exceeds the model's context of ${contextLength} tokens; lower max_tokens to at most ${room}.`,
      "max_tokens",
      "context_length_exceeded",
    );
  }
  const rows = prompts.length * n;
  if (rows > context.maxBatchSize) {
    throw OpenAiApiError.badRequest(
      `The request asks for ${rows} sequences (prompts × n) but this server generates at most ${context.maxBatchSize} per request; lower n or split the prompts.`,
      "n",
      "invalid_value",
    );
  }
  if (rows * maxTokens > context.maxRequestTokens) {
    throw OpenAiApiError.badRequest(
      `The request may generate ${rows} × ${maxTokens} = ${rows * maxTokens} tokens, more than this server's limit of ${context.maxRequestTokens}; lower n or max_tokens.`,
      "max_tokens",
      "invalid_value",
    );
  }
  const stop =
    request.stop === undefined || request.stop === null
      ? []
      : typeof request.stop === "string"
        ? [request.stop]
        : request.stop;
  const temperature = request.temperature ?? context.defaults.temperature ?? 1;
  const topP = request.top_p ?? context.defaults.topP ?? 1;
  const job: GenerationJob = {
    prompts: prompts.flatMap((prompt) => Array.from({ length: n }, () => prompt)),
    settings: { temperature, topP, maxTokens, stop },
    ...(request.seed === undefined || request.seed === null ? {} : { seed: request.seed }),
  };
  return { job, n, stop, temperature, topP };
}
