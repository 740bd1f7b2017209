import type { LearnerDatum } from "@hdpo/core";

// Test-only: Tinker datums and the learner datums they stand for.

/** A Tinker datum for `sequence`: input without its last token, targets without the first, per-target fields. */
export function tinkerDatum(
  sequence: readonly number[],
  fields: { weights?: number[]; logprobs?: number[]; advantages?: number[] } = {},
) {
  const lossFnInputs: Record<string, { data: number[] }> = { target_tokens: { data: sequence.slice(1) } };
  if (fields.weights !== undefined) lossFnInputs.weights = { data: fields.weights };
  if (fields.logprobs !== undefined) lossFnInputs.logprobs = { data: fields.logprobs };
  if (fields.advantages !== undefined) lossFnInputs.advantages = { data: fields.advantages };
  return {
    model_input: { chunks: [{ type: "encoded_text", tokens: sequence.slice(0, -1) }] },
    loss_fn_inputs: lossFnInputs,
  };
}

/** The same datum as TfjsLearner takes it (weights full length). */
export function learnerDatum(sequence: readonly number[], weights?: number[]): LearnerDatum {
  return {
    modelInput: [{ type: "encoded_text", tokens: sequence.slice(0, -1) }],
    targetTokens: sequence.slice(1),
    ...(weights !== undefined ? { weights } : {}),
  };
}

/** Adam parameters in Tinker's and in the learner's spelling. */
export function adam(learningRate: number, extra: { weightDecay?: number; gradClipNorm?: number } = {}) {
  return {
    tinker: {
      learning_rate: learningRate,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weight_decay: extra.weightDecay ?? 0,
      grad_clip_norm: extra.gradClipNorm ?? 0,
    },
    learner: {
      learningRate,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      weightDecay: extra.weightDecay ?? 0,
      gradClipNorm: extra.gradClipNorm ?? 0,
    },
  };
}
