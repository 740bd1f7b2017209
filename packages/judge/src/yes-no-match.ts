import { normalizeAnswer } from "@hdpo/rewards";
import type { RuleOutcome } from "./rule-outcome";

// A ground truth is polar only when it says yes/no/true/false: "right" may be a direction, "correct" a label.
const TRUTH_POLARITY = new Map<string, boolean>([
  ["yes", true],
  ["true", true],
  ["no", false],
  ["false", false],
]);
const ANSWER_POLARITY = new Map<string, boolean>([
  ...TRUTH_POLARITY,
  ["correct", true],
  ["right", true],
  ["yeah", true],
  ["yep", true],
  ["incorrect", false],
  ["wrong", false],
  ["nope", false],
]);
// "Yes, it is." / "No. It isn't.": a polar word, then punctuation, then anything that does not say the opposite.
const LEADING_POLAR_WORD = /^([a-z]+)[,.;:!]\s*(.*)$/s;

/**
 * Compares yes/no answers. The ground truth must be `yes`, `no`, `true` or `false`; the prediction may also
 * say `correct`, `right`, `wrong`, `incorrect`, `yeah`, `yep`, `nope`, alone or as the first word followed by
 * punctuation (`No, because …`). `no` inside `not sure` or `no idea` is not read (`undecided`), nor is an
 * answer that names both polarities.
 */
export function matchYesNo(prediction: string, groundTruth: string): RuleOutcome {
  const truth = TRUTH_POLARITY.get(stripEnd(normalizeAnswer(groundTruth)));
  if (truth === undefined) return "undecided";
  const predicted = polarity(prediction);
  if (predicted === undefined) return "undecided";
  return predicted === truth ? "match" : "mismatch";
}

/** `true` for a yes, `false` for a no, `undefined` when the answer is neither (see {@link matchYesNo}). */
export function polarity(answer: string): boolean | undefined {
  const text = stripEnd(normalizeAnswer(answer));
  const whole = ANSWER_POLARITY.get(text);
  if (whole !== undefined) return whole;
  const leading = LEADING_POLAR_WORD.exec(text);
  if (leading === null) return undefined;
  const first = ANSWER_POLARITY.get(leading[1]!);
  if (first === undefined) return undefined;
  const saysOpposite = (leading[2]!.match(/[a-z]+/g) ?? []).some(
    (word) => ANSWER_POLARITY.get(word) === !first,
  );
  return saysOpposite ? undefined : first;
}

function stripEnd(text: string): string {
  return text.replace(/[.!]+$/, "").trimEnd();
}
