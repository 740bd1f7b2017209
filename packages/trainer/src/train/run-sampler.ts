import { OpenAICompletionsPolicy } from "@hdpo/agent-loop";
import { learnerSamplerPolicy, type PolicySource } from "../policy-source";
import type { RunConfig } from "./run-config";

/**
 * Where `config.sampler` says rollouts and evaluations sample: the learner's own sampler, or OpenAI-compatible
 * endpoints (vLLM, SGLang) serving the policy being trained. Before each use the learner pushes its current weights
 * to its sampler (`save_weights_for_sampler`), which is how a Tinker server's inference engines get them; the
 * endpoints then continue the conversation's exact token ids and return the sampled ids and log-probs, so the
 * trajectory trained on is the one sampled.
 */
export function policySourceFor(
  config: RunConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): PolicySource {
  const { endpoints, model, timeoutS, retries } = config.sampler;
  if (endpoints === undefined) return learnerSamplerPolicy;
  let policy: OpenAICompletionsPolicy | undefined;
  return async (learner, tokenizer) => {
    await learner.samplerForCurrentWeights();
    // One policy for the run: its replicas' health and the trajectories' affinity outlive a step.
    policy ??= new OpenAICompletionsPolicy({
      baseURL: endpoints,
      apiKey: env.SAMPLER_API_KEY ?? "EMPTY",
      ...(model === undefined ? {} : { model }),
      timeoutMs: Math.round(timeoutS * 1000),
      maxRetries: retries,
      tokenizer: {
        encode: (text) => tokenizer.encode(text),
        decode: (ids) => tokenizer.decode(ids),
      },
      promptAsTokenIds: true,
      returnTokensAsTokenIds: true,
      name: `openai-completions:${model ?? endpoints[0]}`,
    });
    return policy;
  };
}
