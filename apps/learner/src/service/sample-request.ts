import { randomInt } from "node:crypto";
import { HttpError } from "@hdpo/http";
import type { SampleRequestValue } from "../api/schemas";
import type { PreparedSample } from "./model-jobs";

/** Checks the sampling parameters as SkyRL's `SamplingParams.to_types` does (400s), plus what this server refuses. */
export function prepareSample(request: SampleRequestValue): PreparedSample {
  const params = request.sampling_params;
  if (params.max_tokens === null) throw new HttpError(400, "max_tokens is currently required");
  if (params.max_tokens <= 0) throw new HttpError(400, "max_tokens must be a positive number");
  let stop: string[] | number[] | undefined;
  if (params.stop !== null && params.stop.length > 0) {
    if (params.stop.every((s) => typeof s === "number")) stop = params.stop as number[];
    else if (params.stop.every((s) => typeof s === "string")) stop = params.stop as string[];
    else throw new HttpError(400, "stop must be either all integers (token IDs) or all strings, not mixed");
  }
  if (params.top_k !== -1 && params.top_k !== 0) {
    throw new HttpError(400, "top_k is not supported by hdpo-learner; send -1 (no top-k filtering)");
  }
  if (request.topk_prompt_logprobs > 0) {
    throw new HttpError(
      400,
      "topk_prompt_logprobs is not supported by hdpo-learner; send 0 (prompt_logprobs: true is supported)",
    );
  }
  if (request.num_samples < 1 || request.num_samples > 1024) {
    throw new HttpError(400, `num_samples must be in [1, 1024], got ${request.num_samples}`);
  }
  if (params.temperature < 0) throw new HttpError(400, "temperature must be ≥ 0 (0 = greedy)");
  if (!(params.top_p > 0 && params.top_p <= 1)) throw new HttpError(400, "top_p must be in (0, 1]");
  const prompt: number[] = [];
  let hasImage = false;
  for (const chunk of request.prompt.chunks) {
    if (chunk.type === "encoded_text") for (const id of chunk.tokens) prompt.push(id);
    else hasImage = true;
  }
  return {
    prompt,
    hasImage,
    numSamples: request.num_samples,
    maxTokens: params.max_tokens,
    temperature: params.temperature,
    topP: params.top_p,
    seed: params.seed ?? randomInt(0, 2 ** 31 - 1),
    ...(stop !== undefined ? { stop } : {}),
    promptLogprobs: request.prompt_logprobs === true,
  };
}
