/**
 * One training sequence in the rollout layout: `promptIds` (system + user, no loss), then the response `ids`
 * (model tokens with `lossMask` 1, observation tokens with 0). Plain data, the same shape as a trajectory's
 * `tokens` without log-probs.
 */
export interface TokenSequence {
  promptIds: number[];
  ids: number[];
  lossMask: (0 | 1)[];
}
