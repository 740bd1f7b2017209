import type { RunConfig } from "./run-config";

/**
 * The part of a config a resume must keep: everything that shapes the model, the data and the updates. Step
 * counts (a run may be extended), run management, evaluation settings, the backend and where the tools and the
 * judge are served (a server restarted on another port serves the same tools) may change.
 */
export function configFingerprint(config: RunConfig): string {
  const { run: _run, eval: _eval, backend: _backend, tools: _tools, judge, sft, rl, ...rest } = config;
  const { steps: sftSteps, ...sftRest } = sft;
  const { steps: _rlSteps, ...rlRest } = rl;
  // A cosine schedule is laid out over the step count: more SFT steps would change the steps already taken.
  const sftKept = sft.schedule === "cosine" ? { ...sftRest, steps: sftSteps } : sftRest;
  const judgeKept = { llm: judge.baseUrl !== undefined, model: judge.model, errorPolicy: judge.errorPolicy };
  return JSON.stringify({ ...rest, judge: judgeKept, sft: sftKept, rl: rlRest });
}

/**
 * The part of a config that shapes the SFT policy: two runs with the same one train the same SFT policy, so HDPO
 * runs that differ only in their RL settings can start from one of them (`--from-sft`).
 */
export function sftFingerprint(config: RunConfig): string {
  const { seed, suite, model, tokenizer, sft, rl } = config;
  // The cold start truncates observations to the RL budget, so the demonstrations depend on it.
  return JSON.stringify({
    seed,
    suite,
    model,
    tokenizer,
    sft,
    maxObservationTokens: rl.maxObservationTokens,
  });
}
