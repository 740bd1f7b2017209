import { JudgeError } from "./judge-error";
import { type ParsedNumber, parseNumber } from "./parse-number";
import type { RuleOutcome } from "./rule-outcome";

/** How close two numbers must be to count as the same answer: `|a − b| ≤ max(absolute, relative·max(|a|, |b|))`. */
export interface NumericTolerance {
  relative: number;
  absolute: number;
}

/** Tight enough that only float noise (`0.1 + 0.2`) is forgiven; widen it for measured answers. */
export const DEFAULT_NUMERIC_TOLERANCE: Readonly<NumericTolerance> = Object.freeze({
  relative: 1e-9,
  absolute: 1e-12,
});

/**
 * Compares a prediction with a numeric ground truth (see `parseNumber` for what is read as a number).
 * - `match` when the values agree within `tolerance`; `12 cm` = `12` (a unit on one side only is dropped). Two
 *   integers (safe integers written without a decimal point) must be equal: no tolerance for counts.
 * - `undecided` when either side is not a number, when both carry different units (`12 cm` vs `12 m`), when
 *   the prediction is the ground truth rounded to the prediction's decimals (`0.33` for `1/3`), and when a
 *   bare ground truth is read as a fraction of a percentage (`50%` for `0.5`): an LLM (or the caller) decides.
 * - Percentages: with a percent ground truth (`50%`), `50%`, `50` and `0.5` all match; with a bare one (`50`),
 *   `50%` matches (the sign read as a unit).
 * - `mismatch` otherwise.
 *
 * @throws JudgeError when a tolerance is negative or not finite.
 */
export function matchNumeric(
  prediction: string,
  groundTruth: string,
  tolerance: NumericTolerance = DEFAULT_NUMERIC_TOLERANCE,
): RuleOutcome {
  assertTolerance(tolerance);
  const truth = parseNumber(groundTruth);
  if (truth === undefined) return "undecided";
  const predicted = parseNumber(prediction);
  if (predicted === undefined) return "undecided";
  if (truth.unit !== "" && predicted.unit !== "" && truth.unit !== predicted.unit) return "undecided";
  // Two integers are an exact answer (a count, a product): a relative tolerance would accept 10,000,000,001
  // for 10,000,000,000 and reward a guess on a task that needs a calculator.
  if (isInteger(truth) && isInteger(predicted) && truth.percent === predicted.percent) {
    return predicted.value === truth.value ? "match" : "mismatch";
  }
  const close = (a: number, b: number) =>
    Math.abs(a - b) <= Math.max(tolerance.absolute, tolerance.relative * Math.max(Math.abs(a), Math.abs(b)));
  if (truth.percent && !predicted.percent) {
    // 50% answered as 50 or as 0.5: both say the same thing.
    if (close(predicted.value, truth.value) || close(predicted.value, truth.value / 100)) return "match";
    return roundedFrom(predicted, [truth.value, truth.value / 100]) ? "undecided" : "mismatch";
  }
  if (close(predicted.value, truth.value)) return "match";
  if (!truth.percent && predicted.percent && close(predicted.value / 100, truth.value)) return "undecided";
  return roundedFrom(predicted, [truth.value]) ? "undecided" : "mismatch";
}

function isInteger(parsed: ParsedNumber): boolean {
  return parsed.decimals === 0 && Number.isSafeInteger(parsed.value);
}

// A prediction with decimals that equals a target rounded to that many decimals may be a rounded answer.
function roundedFrom(predicted: ParsedNumber, targets: number[]): boolean {
  const decimals = predicted.decimals;
  if (decimals === undefined || decimals === 0 || decimals > 15) return false;
  return targets.some((target) => Number(target.toFixed(decimals)) === predicted.value);
}

function assertTolerance(tolerance: NumericTolerance): void {
  for (const key of ["relative", "absolute"] as const) {
    const value = tolerance[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new JudgeError(
        `matchNumeric: tolerance.${key} must be a finite number ≥ 0, got ${String(value)}; pass e.g. { relative: 1e-6, absolute: 1e-9 }.`,
      );
    }
  }
}
