import { normalizeAnswer } from "@hdpo/rewards";
import { JudgeError } from "./judge-error";
import type { RuleOutcome } from "./rule-outcome";

/** Option letters A–J, the most any common multiple-choice benchmark uses. */
export const CHOICE_LETTERS = "abcdefghij";

const LETTER = "([a-j])";
// "B", "(B)", "B.", "B)", "B:" on their own.
const BARE_LETTER = new RegExp(`^\\(?${LETTER}\\)?[.:)]?$`);
// "Answer: B", "option b", "the correct answer is (C).", "Choice D - Paris".
const LABELLED_LETTER = new RegExp(
  `^(?:the\\s+)?(?:final\\s+|correct\\s+)?(?:answer|option|choice)\\s*(?:is\\s*)?[:=-]?\\s*\\(?${LETTER}\\)?(?=[.:)\\s,]|$)`,
);
// "(B) Paris", "B. Paris", "B) Paris": a letter marked as a label, then the option's text.
const LETTER_THEN_TEXT = new RegExp(`^(?:\\(${LETTER}\\)|${LETTER}[.)])\\s+\\S`);
const CHOICE_LABEL = /^\(?([a-j])\)?[.):]\s*/;

/**
 * Compares multiple-choice answers by option letter. The ground truth is a letter (`B`, `(B)`) or, when
 * `choices` are given, one option's text; the prediction is a letter in any common form (`B`, `(B)`, `B.`,
 * `Answer: B`, `option b`, `(B) Paris`) or exactly one option's text. A letter inside a word or a sentence
 * (`Bob`, `a cat`) is not read. `undecided` when either side does not resolve to an option.
 *
 * @param choices - the options' texts in order (A first); a leading label like `"B. Paris"` is ignored.
 * @throws JudgeError when `choices` is not an array of at most 10 strings.
 */
export function matchChoice(
  prediction: string,
  groundTruth: string,
  choices?: readonly string[],
): RuleOutcome {
  const options = choices === undefined ? undefined : normalizeChoices(choices);
  const truth = choiceLetter(groundTruth, options);
  if (truth === undefined) return "undecided";
  const predicted = choiceLetter(prediction, options);
  if (predicted === undefined) return "undecided";
  return predicted === truth ? "match" : "mismatch";
}

/**
 * The option letter (lower-case) an answer names, or `undefined`. See {@link matchChoice} for the forms read.
 */
export function choiceLetter(answer: string, choices?: readonly string[]): string | undefined {
  const text = normalizeAnswer(answer);
  const letter =
    BARE_LETTER.exec(text)?.[1] ??
    LABELLED_LETTER.exec(text)?.[1] ??
    firstDefined(LETTER_THEN_TEXT.exec(text));
  if (letter !== undefined) return letter;
  if (choices === undefined) return undefined;
  const matching = choices.flatMap((choice, index) => (choice === text ? [CHOICE_LETTERS[index]!] : []));
  return matching.length === 1 ? matching[0] : undefined;
}

function firstDefined(match: RegExpExecArray | null): string | undefined {
  return match === null ? undefined : (match[1] ?? match[2]);
}

function normalizeChoices(choices: readonly string[]): string[] {
  if (!Array.isArray(choices) || choices.length > CHOICE_LETTERS.length) {
    throw new JudgeError(
      `matchChoice: choices must be an array of at most ${CHOICE_LETTERS.length} option texts (A–J), got ${Array.isArray(choices) ? `${choices.length} options` : typeof choices}.`,
    );
  }
  return choices.map((choice, index) => {
    if (typeof choice !== "string") {
      throw new JudgeError(`matchChoice: choices[${index}] must be a string, got ${typeof choice}.`);
    }
    const text = normalizeAnswer(choice);
    const label = CHOICE_LABEL.exec(text);
    return label !== null && label[1] === CHOICE_LETTERS[index] ? text.slice(label[0].length).trim() : text;
  });
}
