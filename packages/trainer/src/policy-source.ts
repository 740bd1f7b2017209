import type { Learner, Policy } from "@hdpo/core";
import { type ByteLevelBpeTokenizer, SamplerPolicy } from "@hdpo/policy";

/**
 * The policy rollouts sample from on the learner's current weights. It is asked again after every update, so that
 * a remote sampler gets the new weights (`samplerForCurrentWeights` pushes them, as the Tinker API requires after
 * each `optim_step`).
 */
export type PolicySource = (
  learner: Learner,
  tokenizer: ByteLevelBpeTokenizer,
  name: string,
) => Promise<Policy>;

/** The learner's own sampler: the in-process model, or the Tinker server's `asample`. */
export const learnerSamplerPolicy: PolicySource = async (learner, tokenizer, name) =>
  new SamplerPolicy({ sampler: await learner.samplerForCurrentWeights(), tokenizer, name });
