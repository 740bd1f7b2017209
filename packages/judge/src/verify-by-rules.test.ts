import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RuleOutcome } from "./rule-outcome";
import { type RuleName, verifyByRules } from "./verify-by-rules";

type Row = readonly [
  prediction: string,
  groundTruth: string | string[],
  outcome: RuleOutcome,
  rule: RuleName | undefined,
  choices?: string[],
];

const ROWS: Row[] = [
  // normalized exact
  ["Paris", "paris", "match", "normalized-exact"],
  ["  \\boxed{Paris} ", "Paris", "match", "normalized-exact"],
  ["$\\frac{1}{2}$", "\\frac{1}{2}", "match", "normalized-exact"],
  ["**blue**", "Blue", "match", "normalized-exact"],
  ["Lyon", "Paris", "undecided", undefined],
  ["the capital is Paris", "Paris", "undecided", undefined],
  // integers and decimals
  ["12", "12", "match", "normalized-exact"],
  ["12.0", "12", "match", "numeric"],
  ["12.000", "12", "match", "numeric"],
  ["+12", "12", "match", "numeric"],
  ["-3", "−3", "match", "numeric"],
  [".5", "0.5", "match", "numeric"],
  ["1e3", "1000", "match", "numeric"],
  ["13", "12", "mismatch", "numeric"],
  // integers are exact: no relative tolerance for an 11-digit product
  ["12345678902", "12345678901", "mismatch", "numeric"],
  ["12,345,678,901", "12345678901", "match", "normalized-exact"],
  ["12345678901 apples", "12345678901", "match", "numeric"],
  ["12345678901.0", "12345678901", "match", "numeric"],
  ["123", "12", "mismatch", "numeric"],
  ["12", "123", "mismatch", "numeric"],
  ["1.2", "12", "mismatch", "numeric"],
  ["-12", "12", "mismatch", "numeric"],
  // thousands separators
  ["1,234", "1234", "match", "normalized-exact"],
  ["1,234,567.5", "1234567.5", "match", "normalized-exact"],
  ["1234.0", "1,234", "match", "numeric"],
  ["1,235", "1,234", "mismatch", "numeric"],
  // fractions
  ["3/4", "0.75", "match", "numeric"],
  ["\\frac{3}{4}", "0.75", "match", "numeric"],
  ["\\dfrac{3}{4}", "3/4", "match", "numeric"],
  ["$\\boxed{\\frac{6}{8}}$", "3/4", "match", "numeric"],
  ["-\\frac{1}{2}", "-0.5", "match", "numeric"],
  ["\\frac{1}{0}", "1", "undecided", undefined],
  ["4/3", "3/4", "mismatch", "numeric"],
  // rounding is left to the LLM: 1/3 = 0.333…, so 0.33 is 1/3 rounded to 2 decimals
  ["0.33", "1/3", "undecided", undefined],
  ["0.34", "1/3", "mismatch", "numeric"],
  ["3.1", "3.14", "undecided", undefined],
  ["1", "0.5", "mismatch", "numeric"],
  // percentages
  ["50%", "50%", "match", "normalized-exact"],
  ["50", "50%", "match", "numeric"],
  ["0.5", "50%", "match", "numeric"],
  ["50\\%", "50%", "match", "numeric"],
  ["50%", "50", "match", "numeric"],
  ["50%", "0.5", "undecided", undefined],
  ["40%", "50%", "mismatch", "numeric"],
  ["0.4", "50%", "mismatch", "numeric"],
  // units
  ["12 cm", "12", "match", "numeric"],
  ["12", "12 cm", "match", "numeric"],
  ["\\text{12 cm}", "12", "match", "numeric"],
  ["12\\,\\mathrm{cm}", "12 cm", "match", "numeric"],
  ["90^\\circ", "90", "match", "numeric"],
  ["$5", "5", "match", "numeric"],
  ["5 km/h", "5", "match", "numeric"],
  ["12 cm", "12 m", "undecided", undefined],
  ["13 cm", "12", "mismatch", "numeric"],
  ["x = 12", "12", "match", "numeric"],
  // numbers inside sentences are not read
  ["12 or 13", "12", "undecided", undefined],
  ["12 is not right", "12", "undecided", undefined],
  ["about 12", "12", "undecided", undefined],
  ["twelve", "12", "undecided", undefined],
  // multiple choice
  ["B", "B", "match", "normalized-exact"],
  ["(B)", "B", "match", "multiple-choice"],
  ["B.", "B", "match", "multiple-choice"],
  ["b)", "(B)", "match", "multiple-choice"],
  ["Answer: B", "B", "match", "multiple-choice"],
  ["The answer is (B).", "B", "match", "multiple-choice"],
  ["option b", "B", "match", "multiple-choice"],
  ["(B) Paris", "B", "match", "multiple-choice"],
  ["C", "B", "mismatch", "multiple-choice"],
  ["Answer: C", "B", "mismatch", "multiple-choice"],
  ["Paris", "B", "match", "multiple-choice", ["London", "Paris", "Rome"]],
  ["Rome", "B", "mismatch", "multiple-choice", ["London", "Paris", "Rome"]],
  ["B", "Paris", "match", "multiple-choice", ["A. London", "B. Paris", "C. Rome"]],
  ["Madrid", "B", "undecided", undefined, ["London", "Paris", "Rome"]],
  // a letter inside words is not an option
  ["Bob", "B", "undecided", undefined],
  ["about", "B", "undecided", undefined],
  ["a cat", "A", "undecided", undefined],
  ["Both B and C", "B", "undecided", undefined],
  ["option bob", "B", "undecided", undefined],
  // yes / no
  ["Yes", "yes", "match", "normalized-exact"],
  ["yes.", "Yes", "match", "yes-no"],
  ["True", "yes", "match", "yes-no"],
  ["correct", "yes", "match", "yes-no"],
  ["No, because the angle is obtuse.", "no", "match", "yes-no"],
  ["false", "no", "match", "yes-no"],
  ["No", "yes", "mismatch", "yes-no"],
  ["yes", "false", "mismatch", "yes-no"],
  ["not sure", "no", "undecided", undefined],
  ["no idea", "no", "undecided", undefined],
  ["nobody", "no", "undecided", undefined],
  ["Yes, or maybe no.", "yes", "undecided", undefined],
  ["correct", "right", "undecided", undefined],
  // lists of acceptable answers
  ["NYC", ["New York", "NYC"], "match", "normalized-exact"],
  ["0.75", ["3/4", "three quarters"], "match", "numeric"],
  ["5", ["3", "4"], "mismatch", "numeric"],
  ["five", ["3", "4"], "undecided", undefined],
  ["5", ["3", "five"], "undecided", undefined],
];

describe("verifyByRules (table)", () => {
  it("has at least 60 rows", () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
  });
  for (const [prediction, groundTruth, outcome, rule, choices] of ROWS) {
    it(`${JSON.stringify(prediction)} vs ${JSON.stringify(groundTruth)} → ${outcome} (${rule ?? "no rule"})`, () => {
      const input = {
        prediction,
        groundTruth: typeof groundTruth === "string" ? [groundTruth] : groundTruth,
        ...(choices === undefined ? {} : { choices }),
      };
      const decision = verifyByRules(input);
      expect(decision.outcome).toBe(outcome);
      expect(decision.rule).toBe(rule);
    });
  }
});

describe("verifyByRules", () => {
  it("lists the ground truths no rule could decide", () => {
    // "3" is decided (numeric mismatch), "five" and "Vijf" are not.
    expect(verifyByRules({ prediction: "5", groundTruth: ["3", "five", "Vijf"] }).undecided).toEqual([1, 2]);
  });

  it("honours a wider numeric tolerance", () => {
    // |9.81 - 9.8| = 0.01 ≤ 0.002·9.81 = 0.01962
    expect(
      verifyByRules({ prediction: "9.81", groundTruth: ["9.8"] }, { relative: 2e-3, absolute: 0 }),
    ).toEqual({
      outcome: "match",
      rule: "numeric",
      undecided: [],
    });
  });

  it("matches every integer with itself written with a decimal point and never with itself times 10", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), (n) => {
        expect(verifyByRules({ prediction: `${n}.0`, groundTruth: [String(n)] }).outcome).toBe("match");
        if (n !== 0)
          expect(verifyByRules({ prediction: `${n * 10}`, groundTruth: [String(n)] }).outcome).toBe(
            "mismatch",
          );
      }),
    );
  });

  it("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (prediction, truth) => {
        const decision = verifyByRules({ prediction, groundTruth: [truth] });
        expect(["match", "mismatch", "undecided"]).toContain(decision.outcome);
      }),
    );
  });
});
