import { contextLengthExceeded } from "./generation-plan";
import { OpenAiApiError } from "./openai-api-error";
import type { ServerTokenizer } from "./token-log-probs";

/** The prompts of a `/v1/completions` request, as the model reads them. */
export interface CompletionPrompts {
  /** One list of token ids per prompt. */
  ids: number[][];
  /** The text `echo` returns per prompt: the request's own text, or the decoded ids (special tokens kept). */
  echoTexts(): string[];
}

/** What bounds a prompt. */
export interface PromptLimits {
  /** Ids are integers in [0, vocabSize): every id the model can sample, so sampled ids can always be sent back. */
  vocabSize: number;
  /** max_position_embeddings: a prompt of this many tokens leaves no room to generate. */
  contextLength: number;
  /** Most prompts in one request. */
  maxPrompts: number;
}

const SHAPES =
  "a string, an array of strings, an array of token ids (integers) or an array of arrays of token ids";

/**
 * Reads `prompt` in any of the four shapes OpenAI and vLLM accept: `string`, `string[]`, `number[]` (one prompt of
 * token ids) and `number[][]`. Token ids are used as sent, never re-tokenised, so a client can continue a
 * conversation from the exact ids it was sampled from. Everything is checked here, before any work: shapes, count,
 * and each id list's length (before its elements are scanned) and values; the first problem is one 400.
 */
export function parseCompletionPrompts(
  value: unknown,
  tokenizer: ServerTokenizer,
  limits: PromptLimits,
): CompletionPrompts {
  if (typeof value === "string") {
    return { ids: [tokenizer.encode(value)], echoTexts: () => [value] };
  }
  if (!Array.isArray(value)) {
    throw invalid(
      value === undefined
        ? `Invalid request: prompt is required; send ${SHAPES}.`
        : `Invalid request: prompt must be ${SHAPES}, got ${describe(value)}.`,
    );
  }
  if (value.length === 0) {
    throw invalid(`Invalid request: prompt is an empty array; send ${SHAPES}.`);
  }
  const first: unknown = value[0];
  if (typeof first === "number") {
    const ids = checkIds(value, "prompt", limits);
    return { ids: [ids], echoTexts: () => [tokenizer.decode(ids)] };
  }
  if (value.length > limits.maxPrompts) {
    throw invalid(
      `Invalid request: prompt has ${value.length} prompts but this server takes at most ${limits.maxPrompts} per request; split them over several requests.`,
    );
  }
  if (typeof first === "string") {
    const texts = value.map((item, i) => {
      if (typeof item !== "string") throw mixed(i, "a string", item);
      return item;
    });
    return { ids: texts.map((t) => tokenizer.encode(t)), echoTexts: () => texts };
  }
  if (Array.isArray(first)) {
    const ids = value.map((item, i) => {
      if (!Array.isArray(item)) throw mixed(i, "an array of token ids", item);
      return checkIds(item, `prompt[${i}]`, limits);
    });
    return { ids, echoTexts: () => ids.map((p) => tokenizer.decode(p)) };
  }
  throw invalid(`Invalid request: prompt must be ${SHAPES}, but prompt[0] is ${describe(first)}.`);
}

function checkIds(list: readonly unknown[], name: string, limits: PromptLimits): number[] {
  if (list.length === 0) {
    throw invalid(`Invalid request: ${name} has no token ids; a prompt needs at least one token.`);
  }
  if (list.length >= limits.contextLength) {
    throw contextLengthExceeded(list.length, limits.contextLength, "prompt");
  }
  list.forEach((id, i) => {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= limits.vocabSize) {
      throw invalid(
        `Invalid request: ${name}[${i}] is ${describe(id)}, not a token id of this model; token ids are integers from 0 to ${limits.vocabSize - 1}.`,
      );
    }
  });
  return list as number[];
}

function mixed(index: number, expected: string, item: unknown): OpenAiApiError {
  return invalid(
    `Invalid request: prompt mixes shapes: prompt[0] says every entry is ${expected}, but prompt[${index}] is ${describe(item)}; send ${SHAPES}.`,
  );
}

function invalid(message: string): OpenAiApiError {
  return OpenAiApiError.badRequest(message, "prompt", "invalid_value");
}

/** A short, bounded description of a JSON value for an error message (never echoes a long client string). */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "number") return String(value);
  if (typeof value === "string")
    return `a string of ${value.length} character${value.length === 1 ? "" : "s"}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
