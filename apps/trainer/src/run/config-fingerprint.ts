import type { RunConfig } from "../config/run-config";

/**
 * The part of a config a resume must keep: everything that shapes the model, the data and the updates. Step
 * counts (a run may be extended), run management, evaluation settings and the backend may change.
 */
export function configFingerprint(config: RunConfig): string {
  const { run: _run, eval: _eval, backend: _backend, sft, rl, ...rest } = config;
  const { steps: _sftSteps, ...sftRest } = sft;
  const { steps: _rlSteps, ...rlRest } = rl;
  return JSON.stringify({ ...rest, sft: sftRest, rl: rlRest });
}
