import type { SeededRandom } from "../../random/seeded-random";
import { answerSubstringOf } from "../answer-in-prompt";
import type { DrawnTask, TaskFamilyGenerator } from "../suite-types";

const TABLE_ROWS = 40;

type Draft = { question: string; answer: string; template: string };
type Template = (random: SeededRandom) => Draft;

const product: Template = (random) => {
  const a = BigInt(random.digits(6));
  const b = BigInt(random.digits(5));
  const question = random.pick([
    `What is ${a} × ${b}?`,
    `Compute the product ${a} * ${b}. Give the exact integer.`,
    `Multiply ${a} by ${b}. What is the exact result?`,
    `A warehouse holds ${a} crates with ${b} screws in each. How many screws are there in total?`,
  ]);
  return { question, answer: String(a * b), template: "product" };
};

const bigSum: Template = (random) => {
  const count = random.int(10, 14);
  const numbers = Array.from({ length: count }, () => random.digits(random.int(6, 7)));
  const total = numbers.reduce((sum, n) => sum + n, 0);
  const question = random.pick([
    `Add up these numbers exactly: ${numbers.join(", ")}.`,
    `What is the sum of the following ${count} numbers? ${numbers.join(" + ")}`,
    `A ledger lists these amounts: ${numbers.join("; ")}. What is their exact total?`,
  ]);
  return { question, answer: String(total), template: "big-sum" };
};

const modularPower: Template = (random) => {
  const base = random.digits(random.int(3, 4));
  const exponent = random.digits(random.int(3, 5));
  const modulus = random.digits(random.int(4, 5));
  const question = random.pick([
    `What is ${base}^${exponent} mod ${modulus}?`,
    `Compute ${base} raised to the power ${exponent}, modulo ${modulus}.`,
    `Find the remainder when ${base}^${exponent} is divided by ${modulus}.`,
  ]);
  return { question, answer: String(modPow(base, exponent, modulus)), template: "modular-power" };
};

const digitSumOfPower: Template = (random) => {
  const exponent = random.int(120, 400);
  const base = random.pick([2, 3, 7]);
  const digits = String(BigInt(base) ** BigInt(exponent));
  const sum = [...digits].reduce((total, digit) => total + Number(digit), 0);
  const question = random.pick([
    `What is the sum of the decimal digits of ${base}^${exponent}?`,
    `Write ${base}^${exponent} out in full and add up its digits. What do you get?`,
  ]);
  return { question, answer: String(sum), template: "digit-sum-of-power" };
};

const tableAggregate: Template = (random) => {
  const rows = Array.from({ length: TABLE_ROWS }, (_, i) => ({
    id: i + 1,
    a: random.int(1, 99),
    b: random.int(100, 999),
  }));
  const threshold = random.int(30, 70);
  const queries: readonly {
    text: string;
    keep: (row: { a: number; b: number }) => boolean;
    value: "b" | "ab";
  }[] = [
    { text: "the sum of column B over the rows where A is odd", keep: (r) => r.a % 2 === 1, value: "b" },
    { text: "the sum of column B over the rows where A is even", keep: (r) => r.a % 2 === 0, value: "b" },
    {
      text: `the sum of column B over the rows where A is greater than ${threshold}`,
      keep: (r) => r.a > threshold,
      value: "b",
    },
    { text: "the sum of A × B over all rows", keep: () => true, value: "ab" },
    {
      text: "the sum of column B over the rows where A is a multiple of 3",
      keep: (r) => r.a % 3 === 0,
      value: "b",
    },
  ];
  const query = random.pick(queries);
  const total = rows.filter(query.keep).reduce((sum, r) => sum + (query.value === "b" ? r.b : r.a * r.b), 0);
  const table = [
    "| row | A | B |",
    "| --- | --- | --- |",
    ...rows.map((r) => `| ${r.id} | ${r.a} | ${r.b} |`),
  ];
  const question = `${random.pick(["Here is a table.", "Consider the following table.", "A survey produced this table."])}\n\n${table.join("\n")}\n\nWhat is ${query.text}?`;
  return { question, answer: String(total), template: "table-aggregate" };
};

const TEMPLATES: readonly Template[] = [product, bigSum, modularPower, digitSumOfPower, tableAggregate];

/**
 * Tool-required tasks: exact integer answers from computations too long to do reliably in the head. A draft whose
 * answer appears anywhere in its prompt is redrawn, so no task can be answered by copying a number from the prompt.
 */
export const pythonFamily: TaskFamilyGenerator = {
  family: "python",
  templates: ["product", "big-sum", "modular-power", "digit-sum-of-power", "table-aggregate"],
  draw({ random }): DrawnTask {
    for (;;) {
      const draft = random.pick(TEMPLATES)(random);
      if (answerSubstringOf(draft.answer, draft.question)) continue;
      return {
        question: draft.question,
        answer: draft.answer,
        toolNecessity: "required",
        extraInfo: { template: draft.template },
      };
    }
  },
};

function modPow(base: number, exponent: number, modulus: number): bigint {
  let result = 1n;
  let b = BigInt(base) % BigInt(modulus);
  let e = BigInt(exponent);
  const m = BigInt(modulus);
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}
