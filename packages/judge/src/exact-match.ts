import { normalizeAnswer } from "@hdpo/rewards";
import type { RuleOutcome } from "./rule-outcome";

/**
 * `match` when prediction and ground truth are equal after `normalizeAnswer` (`\boxed{}`, `$…$`, case,
 * surrounding spaces, thousands separators); otherwise `undecided`, never `mismatch`: different strings can
 * still be the same answer.
 */
export function matchExact(prediction: string, groundTruth: string): RuleOutcome {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth) ? "match" : "undecided";
}
