import type { RunConfig } from "./run-config";

/**
 * The part of a config a resume must keep: everything that shapes the model, the data and the updates. Step
 * counts (a run may be extended), run management, evaluation settings, the backend and where the tools, the
 * judge, the learner and the sampler are served (a server restarted on another port serves the same tools) may
 * change.
 */
export function configFingerprint(config: RunConfig): string {
  const {
    run: _run,
    eval: _eval,
    backend: _backend,
    tools: _tools,
    sampler: _sampler,
    judge,
    learner,
    sft,
    rl,
    ...rest
  } = config;
  const { steps: sftSteps, ...sftRest } = sft;
  const { steps: _rlSteps, ...rlRest } = rl;
  // A cosine schedule is laid out over the step count: more SFT steps would change the steps already taken.
  const sftKept = sft.schedule === "cosine" ? { ...sftRest, steps: sftSteps } : sftRest;
  const judgeKept = { llm: judge.baseUrl !== undefined, model: judge.model, errorPolicy: judge.errorPolicy };
  return JSON.stringify({ ...rest, judge: judgeKept, ...remoteLearner(learner), sft: sftKept, rl: rlRest });
}

/**
 * The part of a config that shapes the SFT policy: two runs with the same one train the same SFT policy, so HDPO
 * runs that differ only in their RL settings can start from one of them (`--from-sft`).
 */
export function sftFingerprint(config: RunConfig): string {
  const { seed, suite, model, tokenizer, sft, rl, learner } = config;
  // The cold start truncates observations to the RL budget, so the demonstrations depend on it.
  return JSON.stringify({
    seed,
    suite,
    model,
    tokenizer,
    sft,
    maxObservationTokens: rl.maxObservationTokens,
    ...remoteLearner(learner),
  });
}

/**
 * What a remote learner trains (in-process runs add nothing, so their fingerprints are those of runs written before
 * learners could be remote). Where it is served and how patiently it is called may change.
 */
function remoteLearner(learner: RunConfig["learner"]): { learner?: object } {
  if (learner.url === undefined) return {};
  const { baseModel, tokenizer, loraRank, loraSeed } = learner;
  return { learner: { baseModel, tokenizer, loraRank, loraSeed } };
}
