import { PolicyError } from "../policy-error";

/** The marker the reference appends to a cut observation; encode it to get `suffixIds`. */
export const TRUNCATION_SUFFIX = "...(truncated)";

/**
 * The reference's rule for a text-only observation longer than `maxTokens` tokens: keep its LAST `maxTokens`
 * tokens and append `suffixIds` (the encoded {@link TRUNCATION_SUFFIX}), so the result has
 * `maxTokens + suffixIds.length` ids. Observations within the limit come back unchanged (as a copy).
 */
export function truncateObservationTokens(
  ids: readonly number[],
  maxTokens: number,
  suffixIds: readonly number[],
): number[] {
  if (!Number.isInteger(maxTokens) || maxTokens < 0) {
    throw new PolicyError(
      `truncateObservationTokens: maxTokens must be a non-negative integer (got ${maxTokens}).`,
    );
  }
  if (ids.length <= maxTokens) return [...ids];
  // slice(-0) would keep everything, so an empty keep is spelled out.
  const kept = maxTokens === 0 ? [] : ids.slice(-maxTokens);
  return [...kept, ...suffixIds];
}
