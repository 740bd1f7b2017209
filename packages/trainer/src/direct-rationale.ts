import type { Task } from "@hdpo/core";

/**
 * A worked reason for answering a tool-unnecessary task without a tool, for the templates where one helps a small
 * model: comparing two numbers digit by digit (`compare-yes-no`), reading a number's parity off its last digit
 * (`parity-yes-no`), and finding the stated capital among the options (`capital-choice`). Each step is a copy or a
 * one-digit comparison, which a small model learns; the stock sentence ("The answer is given in the question.") asks
 * it to compare two numbers in the single token it answers with. Undefined for other templates, or when the question
 * does not have the template's shape.
 */
export function directRationale(task: Task): string | undefined {
  const template = task.extraInfo?.template;
  if (template === "compare-yes-no") return comparisonRationale(task.question);
  if (template === "parity-yes-no") return parityRationale(task.question);
  if (template === "capital-choice") return choiceRationale(task.question, answerOf(task));
  return undefined;
}

function answerOf(task: Task): string {
  return Array.isArray(task.answer) ? task.answer[0]! : (task.answer as string);
}

const COMPARISON = /\bis (?:the number )?(\d+) (larger|smaller) than (?:the number )?(\d+)/i;

function comparisonRationale(question: string): string | undefined {
  const match = COMPARISON.exec(question);
  if (match === null) return undefined;
  const [, a, relation, b] = match as unknown as [string, string, "larger" | "smaller", string];
  const larger = Number(a) > Number(b) ? a : b;
  const holds = (relation === "larger") === (larger === a);
  return `${comparisonSteps(a, b)}, so ${larger} is larger: ${a} is ${holds ? "" : "not "}${relation} than ${b}.`;
}

/** The first difference, reading the two numbers as a person would: length, then digits from the left. */
function comparisonSteps(a: string, b: string): string {
  if (a.length !== b.length) {
    return `${a} has ${digits(a.length)} and ${b} has ${digits(b.length)}`;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const place = PLACES[a.length - 1 - i] ?? `digit ${i + 1}`;
      return `${a} vs ${b}: ${place} ${a[i]} vs ${b[i]}`;
    }
  }
  return `${a} equals ${b}`;
}

const PLACES = ["ones", "tens", "hundreds"];

function digits(count: number): string {
  return count === 1 ? "1 digit" : `${count} digits`;
}

const PARITY = /\b(\d+) (?:an )?(even|odd)\b/i;

function parityRationale(question: string): string | undefined {
  const match = PARITY.exec(question);
  if (match === null) return undefined;
  const [, number, parity] = match as unknown as [string, string, "even" | "odd"];
  const last = number.at(-1)!;
  const actual = Number(last) % 2 === 0 ? "even" : "odd";
  return `${number} ends in ${last}, which is ${actual}: ${number} is ${actual === parity ? "" : "not "}${parity}.`;
}

function choiceRationale(question: string, letter: string): string | undefined {
  const option = new RegExp(`^${letter}\\. (.+)$`, "m").exec(question);
  if (option === null) return undefined;
  return `The question says the capital is ${option[1]}, which is option ${letter}.`;
}
