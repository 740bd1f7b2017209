import { matchChoice } from "./choice-match";
import { matchExact } from "./exact-match";
import { DEFAULT_NUMERIC_TOLERANCE, matchNumeric, type NumericTolerance } from "./numeric-match";
import type { RuleOutcome } from "./rule-outcome";
import { matchYesNo } from "./yes-no-match";

/** The names rules sign their verdicts with (`Verdict.rule`). */
export type RuleName = "normalized-exact" | "multiple-choice" | "yes-no" | "numeric";

/** What the rules concluded about a prediction against every acceptable ground truth. */
export interface RuleDecision {
  outcome: RuleOutcome;
  /** The rule that decided; absent when undecided. */
  rule?: RuleName;
  /** Indices of the ground truths no rule could decide: the ones left for an LLM judge. */
  undecided: number[];
}

/** The input the rule verifiers read. */
export interface RuleInput {
  groundTruth: readonly string[];
  prediction: string;
  choices?: readonly string[];
}

const RULES: ReadonlyArray<
  readonly [
    RuleName,
    (prediction: string, truth: string, input: RuleInput, tolerance: NumericTolerance) => RuleOutcome,
  ]
> = [
  ["normalized-exact", (prediction, truth) => matchExact(prediction, truth)],
  ["multiple-choice", (prediction, truth, input) => matchChoice(prediction, truth, input.choices)],
  ["yes-no", (prediction, truth) => matchYesNo(prediction, truth)],
  ["numeric", (prediction, truth, _input, tolerance) => matchNumeric(prediction, truth, tolerance)],
];

/**
 * Runs the rule verifiers against each acceptable ground truth, the first decisive rule deciding for that
 * ground truth: normalized exact match, then multiple choice, yes/no, numeric. The prediction matches when
 * it matches any ground truth; it mismatches when every ground truth is decided against it; otherwise the
 * rules are undecided, and `undecided` lists the ground truths left to judge.
 */
export function verifyByRules(
  input: RuleInput,
  tolerance: NumericTolerance = DEFAULT_NUMERIC_TOLERANCE,
): RuleDecision {
  const undecided: number[] = [];
  let firstMismatch: RuleName | undefined;
  for (const [index, truth] of input.groundTruth.entries()) {
    const decided = decideOne(input.prediction, truth, input, tolerance);
    if (decided === undefined) {
      undecided.push(index);
    } else if (decided.outcome === "match") {
      return { outcome: "match", rule: decided.rule, undecided: [] };
    } else {
      firstMismatch ??= decided.rule;
    }
  }
  if (undecided.length === 0 && firstMismatch !== undefined) {
    return { outcome: "mismatch", rule: firstMismatch, undecided };
  }
  return { outcome: "undecided", undecided };
}

function decideOne(
  prediction: string,
  truth: string,
  input: RuleInput,
  tolerance: NumericTolerance,
): { outcome: "match" | "mismatch"; rule: RuleName } | undefined {
  for (const [rule, verify] of RULES) {
    const outcome = verify(prediction, truth, input, tolerance);
    if (outcome !== "undecided") return { outcome, rule };
  }
  return undefined;
}
