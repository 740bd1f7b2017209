import type { LearnerSampleRequest } from "@hdpo/core";
import type { TfjsLearner } from "@hdpo/learner";
import { type ByteLevelBpeTokenizer, type DecoderModel, ModelSampler, sequenceLogProbs } from "@hdpo/policy";
import { tf } from "@hdpo/tensor";
import type { ForwardBackwardInputValue, LossFunction } from "../api/schemas";
import { type AlignedDatum, alignDatum, DatumError, leftPad, tail } from "./datum-align";
import { type RlLoss, rlTerms } from "./rl-loss";

/** The loss functions forward_backward runs; the other names SkyRL accepts fail their future. */
export const SUPPORTED_LOSS_FUNCTIONS: readonly LossFunction[] = [
  "cross_entropy",
  "importance_sampling",
  "ppo",
];

/** A forward or forward_backward request, checked and aligned when it arrives. */
export interface PreparedPass {
  data: AlignedDatum[];
  /** Undefined for cross_entropy (and for forward, which ignores the loss as fsdp does). */
  rl?: RlLoss;
}

/** Checks and aligns a pass. Throws DatumError (the future fails with its message). */
export function preparePass(input: ForwardBackwardInputValue, forwardOnly: boolean): PreparedPass {
  if (input.data.length === 0) throw new DatumError("the request has no data; send at least one datum.");
  if (forwardOnly || input.loss_fn === "cross_entropy") {
    return { data: input.data.map((datum, i) => alignDatum(datum, i, false)) };
  }
  if (!SUPPORTED_LOSS_FUNCTIONS.includes(input.loss_fn)) {
    throw new DatumError(
      `loss_fn '${input.loss_fn}' is not supported by hdpo-learner; it runs ${SUPPORTED_LOSS_FUNCTIONS.join(", ")} ` +
        "(sum-reduced). Any other per-token loss goes through cross_entropy with weights = −dL/dlogp.",
    );
  }
  const config = input.loss_fn_config ?? {};
  const rl: RlLoss =
    input.loss_fn === "ppo"
      ? { kind: "ppo", low: config.clip_low_threshold ?? 0.8, high: config.clip_high_threshold ?? 1.2 }
      : { kind: "importance_sampling" };
  return { data: input.data.map((datum, i) => alignDatum(datum, i, true)), rl };
}

/** Tinker's TensorData as SkyRL returns it. */
function tensorData(values: readonly number[]) {
  return { data: values, dtype: "float32", shape: [values.length] };
}

/** `forward`: log-probs of every datum's window, no gradients (fsdp: the loss is not computed). */
export async function runForward(
  learner: TfjsLearner,
  pass: PreparedPass,
  temperature: number,
): Promise<string> {
  const { logProbs } = await learner.forward(
    pass.data.map((d) => d.datum),
    { temperature },
  );
  return JSON.stringify({
    loss_fn_output_type: "scalar",
    loss_fn_outputs: pass.data.map((d, i) => ({ logprobs: tensorData(tail(logProbs[i]!, d.window)) })),
    metrics: {},
  });
}

/**
 * `forward_backward`: adds the loss's gradient to the model's accumulated gradient. cross_entropy is one learner
 * pass with the request's weights; an RL loss is a forward pass (ℓ at the current weights), the loss's per-token
 * weights in float64, then a learner pass with those weights, whose gradient is the loss's gradient exactly.
 */
export async function runForwardBackward(
  learner: TfjsLearner,
  pass: PreparedPass,
  temperature: number,
): Promise<string> {
  const tokens = pass.data.reduce((sum, d) => sum + d.window, 0);
  if (pass.rl === undefined) {
    const out = await learner.forwardBackward(
      pass.data.map((d) => d.datum),
      { temperature },
    );
    return JSON.stringify({
      loss_fn_output_type: "scalar",
      loss_fn_outputs: pass.data.map((d, i) => {
        const logprobs = tail(out.logProbs[i]!, d.window);
        return {
          logprobs: tensorData(logprobs),
          elementwise_loss: tensorData(logprobs.map((l, t) => -l * d.weights[t]!)),
        };
      }),
      metrics: { "total_loss:sum": out.loss, "num_tokens:sum": tokens },
    });
  }
  const rl = pass.rl;
  const before = await learner.forward(
    pass.data.map((d) => d.datum),
    { temperature },
  );
  let loss = 0;
  const weighted = pass.data.map((d, i) => {
    const terms = rlTerms(rl, tail(before.logProbs[i]!, d.window), d.logprobs!, d.advantages!, d.weights);
    loss += terms.loss;
    return { ...d.datum, weights: leftPad(terms.learnerWeights, d.length) };
  });
  const out = await learner.forwardBackward(weighted, { temperature });
  return JSON.stringify({
    loss_fn_output_type: "scalar",
    loss_fn_outputs: pass.data.map((d, i) => ({ logprobs: tensorData(tail(out.logProbs[i]!, d.window)) })),
    metrics: { "total_loss:sum": loss, "pg_loss:sum": loss, "num_tokens:sum": tokens },
  });
}

/** An asample request, checked when it arrives. */
export interface PreparedSample {
  prompt: number[];
  /** The prompt had an image chunk: the job fails (this server's model reads text only). */
  hasImage: boolean;
  numSamples: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  stop?: string[] | number[];
  promptLogprobs: boolean;
}

/** `asample`: `numSamples` draws with seeds seed, seed+1, … (as SkyRL expands them), and optionally prompt log-probs. */
export async function runSample(
  model: DecoderModel,
  tokenizer: ByteLevelBpeTokenizer,
  request: PreparedSample,
): Promise<string> {
  if (request.hasImage) {
    throw new DatumError("the prompt has an image chunk, but this server's model reads text only.");
  }
  const sampler = new ModelSampler(model, tokenizer);
  const sequences = [];
  for (let i = 0; i < request.numSamples; i++) {
    const sampleRequest: LearnerSampleRequest = {
      prompt: [{ type: "encoded_text", tokens: request.prompt }],
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      topP: request.topP,
      seed: request.seed + i,
      ...(request.stop !== undefined ? { stop: request.stop } : {}),
    };
    const sequence = await sampler.sample(sampleRequest);
    sequences.push({
      stop_reason: sequence.stopReason,
      tokens: sequence.tokens,
      logprobs: sequence.logProbs,
    });
  }
  return JSON.stringify({
    sequences,
    prompt_logprobs: request.promptLogprobs ? promptLogProbs(model, request.prompt) : null,
    topk_prompt_logprobs: null,
  });
}

/** One entry per prompt token, the first null (nothing precedes it); raw logits (temperature 1). */
function promptLogProbs(model: DecoderModel, prompt: readonly number[]): (number | null)[] {
  if (prompt.length < 2) return [null];
  const values = tf.tidy(() => sequenceLogProbs(model, { sequences: [prompt], promptLengths: [1] }).logProbs);
  const flat = Array.from(values.dataSync());
  values.dispose();
  return [null, ...flat.slice(0, prompt.length - 1)];
}
